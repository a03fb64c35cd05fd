import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { D1_MAX_BOUND_PARAMETERS, D1_MAX_ROW_BYTES, D1_MAX_STATEMENT_BYTES } from "../src/db/d1-limits";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { recordingD1 } from "./helpers/recording-d1";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

let key: string;
let id300: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(restoreSpies);

async function readAllMessages(id: string): Promise<any[]> {
  const all: any[] = [];
  let after = "";
  for (let page = 0; page < 50; page++) {
    const body = await json(await call(`/v1/chat/completions/${id}/messages?limit=100${after}`, { key }));
    all.push(...body.data);
    if (!body.has_more) return all;
    after = `&after=${body.last_id}`;
  }
  throw new Error("too many pages");
}

function assertWithinD1Limits(statements: { sql: string; params: number; largestValueBytes: number }[]) {
  expect(statements.length).toBeGreaterThan(0);
  for (const s of statements) {
    expect(s.params, s.sql.slice(0, 80)).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    expect(new TextEncoder().encode(s.sql).length).toBeLessThanOrEqual(D1_MAX_STATEMENT_BYTES);
    expect(s.largestValueBytes).toBeLessThan(D1_MAX_ROW_BYTES);
  }
}

describe("D1 limits", () => {
  it("stores a 300-message conversation and reads it back whole, every statement under 100 parameters", async () => {
    const messages = Array.from({ length: 300 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `message number ${i}`, name: `n${i}` }));
    const fixture = completionFixture({ id: "chatcmpl-300" });
    mockUpstream(() => jsonResponse(fixture));
    const { db, statements } = recordingD1();
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`key${i}`, `value${i}`]));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true, metadata }, env: { DB: db } });
    expect(res.status).toBe(200);
    id300 = (await json(res)).id;
    // The messages go to R2: D1 gets the index row and the metadata's filter rows, one statement each.
    const inserts = statements.filter((s) => /^insert/i.test(s.sql));
    expect(inserts.map((s) => s.sql.match(/^insert into (\w+)/i)?.[1])).toEqual(["completion_filters", "completion_index"]);
    assertWithinD1Limits(statements);

    const stored = await readAllMessages(id300);
    expect(stored).toHaveLength(300);
    expect(stored.map((m) => m.content)).toEqual(messages.map((m) => m.content));
    expect(stored.map((m) => m.role)).toEqual(messages.map((m) => m.role));
    expect(stored.at(-1).id).toBe(`${id300}-299`);
  });

  it("keeps list, get, update, delete and messages under the limits too, with 16 metadata filters", async () => {
    const { db, statements } = recordingD1();
    const filters = Array.from({ length: 16 }, (_, i) => `metadata[key${i}]=value${i}`).join("&");
    const list = await json(await call(`/v1/chat/completions?${filters}&model=gpt-4o-mini-2024-07-18&after=${id300}&limit=100`, { key, env: { DB: db } }));
    expect(list.data).toEqual([]);
    const all = await json(await call(`/v1/chat/completions?${filters}`, { key, env: { DB: db } }));
    expect(all.data.map((c: any) => c.id)).toEqual([id300]);
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, "x"), "v".repeat(512)]));
    expect((await call(`/v1/chat/completions/${id300}`, { key, body: { metadata }, env: { DB: db } })).status).toBe(200);
    await call(`/v1/chat/completions/${id300}/messages?limit=100&after=${id300}-5`, { key, env: { DB: db } });
    expect((await call(`/v1/chat/completions/${id300}`, { key, method: "DELETE", env: { DB: db } })).status).toBe(200);
    assertWithinD1Limits(statements);
  });

  it("splits a near-limit base64 image across rows and returns it byte for byte", async () => {
    // ~9.5 MB of base64, under MAX_BODY_BYTES (10 MB), far over D1's 2 MB row limit.
    const bytes = new Uint8Array(7_000_000).map((_, i) => (i * 31 + 7) % 256);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const url = `data:image/png;base64,${btoa(binary)}`;
    const content = [{ type: "text", text: "Describe this" }, { type: "image_url", image_url: { url, detail: "high" } }];
    const fixture = completionFixture({ id: "chatcmpl-big-image" });
    mockUpstream(() => jsonResponse(fixture));
    const { db, statements } = recordingD1();
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content }], store: true }, env: { DB: db } });
    expect(res.status).toBe(200);
    assertWithinD1Limits(statements);
    const [message] = await readAllMessages((await json(res)).id);
    expect(message.content_parts[1].image_url.url.length).toBe(url.length);
    expect(message.content_parts[1].image_url.url === url).toBe(true);
    expect(message.content).toBe("Describe this");
  });

  it("splits a completion body larger than a row (long logprobs) and returns it whole", async () => {
    const logprobs = Array.from({ length: 20_000 }, (_, i) => ({ token: `t${i}`, logprob: -(i + 1) / 1000, bytes: [116, 48 + (i % 10)], top_logprobs: [{ token: `x${i}`, logprob: -1, bytes: [120] }] }));
    const fixture = completionFixture({
      id: "chatcmpl-big-body",
      choices: [{ index: 0, message: { role: "assistant", content: "t".repeat(600_000), refusal: null }, finish_reason: "length", logprobs: { content: logprobs, refusal: null } }],
    });
    expect(JSON.stringify(fixture).length).toBeGreaterThan(D1_MAX_ROW_BYTES);
    mockUpstream(() => jsonResponse(fixture));
    const { db, statements } = recordingD1();
    const { id } = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "long" }], store: true }, env: { DB: db } }));
    assertWithinD1Limits(statements);
    const stored = await json(await call(`/v1/chat/completions/${id}`, { key }));
    expect(stored.choices).toEqual(fixture.choices);
    const listed = await json(await call("/v1/chat/completions?limit=100", { key }));
    expect(listed.data.find((c: any) => c.id === id).choices).toEqual(fixture.choices);
  });

  it("answers 413 for a body over MAX_BODY_BYTES, before anything is stored", async () => {
    const upstream = mockUpstream(() => jsonResponse(completionFixture({ id: "chatcmpl-too-big" })));
    const res = await call("/v1/chat/completions", {
      key,
      body: { model: "m", messages: [{ role: "user", content: "x".repeat(2_000) }], store: true },
      env: { MAX_BODY_BYTES: "1000" },
    });
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatchObject({ type: "invalid_request_error", code: "request_too_large" });
    expect(upstream.calls).toHaveLength(0);
    expect((await call("/v1/chat/completions/chatcmpl-too-big", { key })).status).toBe(404);
  });
});
