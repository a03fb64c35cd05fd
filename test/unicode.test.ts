import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(restoreSpies);

// Emoji (surrogate pairs), combining marks, right-to-left text, a NUL, and lone surrogates,
// which JSON can carry as escapes even though they are not valid UTF-16 text.
const samples = ["🦄👩‍👩‍👧‍👦 flags 🇫🇷", "e\u0301 n\u0303 a\u030A\u0323", "שלום عربى", "nul\u0000byte", "lone \ud800 high", "lone \udfff low", "\udc00\ud800 reversed"];

describe("Unicode", () => {
  it("round-trips content and metadata exactly, lone surrogates included", async () => {
    const fixture = completionFixture({ id: "chatcmpl-unicode", choices: [{ index: 0, message: { role: "assistant", content: samples.join("|"), refusal: null }, finish_reason: "stop", logprobs: null }] });
    mockUpstream(() => jsonResponse(fixture));
    const metadata = Object.fromEntries(samples.map((s, i) => [`k${i}-${s.slice(0, 4)}`, s]));
    const messages = samples.map((content) => ({ role: "user", content }));
    // JSON.stringify writes lone surrogates as \udXXX escapes, as a client would send them.
    const res = await call("/v1/chat/completions", { key, body: JSON.stringify({ model: "m", messages, store: true, metadata }) });
    expect(res.status).toBe(200);
    const { id } = await json(res);

    const stored = await json(await call(`/v1/chat/completions/${id}`, { key }));
    expect(stored.metadata).toEqual(metadata);
    expect(stored.choices[0].message.content).toBe(samples.join("|"));
    const listed = await json(await call("/v1/chat/completions?limit=100", { key }));
    expect(listed.data.find((c: any) => c.id === id).metadata).toEqual(metadata);
    const page = await json(await call(`/v1/chat/completions/${id}/messages?limit=100`, { key }));
    expect(page.data.map((m: any) => m.content)).toEqual(samples);
  });

  it("filters on metadata with emoji and combining marks", async () => {
    const fixture = completionFixture({ id: "chatcmpl-unicode-filter" });
    mockUpstream(() => jsonResponse(fixture));
    const { id } = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "x" }], store: true, metadata: { "🏷️": "e\u0301te\u0301" } } }));
    const query = `metadata%5B${encodeURIComponent("🏷️")}%5D=${encodeURIComponent("e\u0301te\u0301")}`;
    const body = await json(await call(`/v1/chat/completions?${query}`, { key }));
    expect(body.data.map((c: any) => c.id)).toEqual([id]);
    // The precomposed form is a different string, as on OpenAI: no normalisation.
    const composed = await json(await call(`/v1/chat/completions?metadata%5B${encodeURIComponent("🏷️")}%5D=${encodeURIComponent("été")}`, { key }));
    expect(composed.data).toEqual([]);
  });

  it("filters on a lone surrogate exactly as stored, or answers 400, never matching another value or silently none", async () => {
    const { key: own } = await createTeamWithKey();
    const upstream = mockUpstream(() => jsonResponse(completionFixture()));
    const ids: Record<string, string> = {};
    for (const value of ["a\ud800b", "a\udfffb", "a\ufffdb"]) {
      // JSON.stringify writes a lone surrogate as a \udXXX escape, as a client would send it.
      const res = await call("/v1/chat/completions", { key: own, body: JSON.stringify({ model: "m", store: true, messages: [{ role: "user", content: "x" }], metadata: { k: value } }) });
      ids[value] = (await json(res)).id;
    }
    upstream.spy.mockRestore();
    const filter = async (query: string) => {
      const res = await call(`/v1/chat/completions?${query}`, { key: own });
      return { status: res.status, body: await json(res) };
    };
    // The real U+FFFD matches only itself, never a stored lone surrogate.
    expect((await filter("metadata%5Bk%5D=a%EF%BF%BDb")).body.data.map((c: any) => c.id)).toEqual([ids["a\ufffdb"]]);
    // A lone surrogate, as the only bytes a URL can carry it in (WTF-8), in a value or a key; and bytes that are no text at all.
    const cases = [
      ["metadata%5Bk%5D=a%ED%A0%80b", [ids["a\ud800b"]]],
      ["metadata%5Bk%5D=a%ED%BF%BFb", [ids["a\udfffb"]]],
      ["metadata[k]=a%ED%A0%80b", [ids["a\ud800b"]]],
      ["metadata%5Bk%ED%A0%80%5D=a%EF%BF%BDb", []],
      ["metadata%5Bk%5D=a%80b", []],
      ["metadata%5Bk%5D=a%FF%FEb", []],
    ] as const;
    for (const [query, exact] of cases) {
      const { status, body } = await filter(query);
      if (status === 400) {
        expect(body.error.param, query).toBe("metadata");
        continue;
      }
      expect(status, query).toBe(200);
      // A match must be the stored value itself; an answer that matches nothing is only right when nothing was stored so.
      expect(body.data.map((c: any) => c.id), query).toEqual(exact);
      expect(exact.length, `${query} matched nothing, silently`).toBeGreaterThan(0);
    }
  });

  it("counts metadata limits in characters, so 64 emoji make a valid key", async () => {
    mockUpstream(() => jsonResponse(completionFixture()));
    const ok = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "x" }], metadata: { ["😀".repeat(64)]: "😀".repeat(512) } } });
    expect(ok.status).toBe(200);
    const tooLong = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "x" }], metadata: { ["😀".repeat(65)]: "v" } } });
    expect(tooLong.status).toBe(400);
  });
});
