import { beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { collectIds, seedCompletions, type SeedSpec } from "./helpers/seed";
import { r2Keys, tidOf } from "./helpers/store";
import { compactId } from "../src/ids";

let key: string;
// Eight completions, with ties in `created`, two models and metadata to filter on.
const specs: SeedSpec[] = [
  { id: "chatcmpl-e", created: 100, model: "gpt-a", metadata: { env: "prod", team: "red" } },
  { id: "chatcmpl-b", created: 100, model: "gpt-b", metadata: { env: "dev" } },
  { id: "chatcmpl-h", created: 100, model: "gpt-a", metadata: { env: "prod", team: "blue" } },
  { id: "chatcmpl-a", created: 200, model: "gpt-a", metadata: { env: "prod", team: "red" } },
  { id: "chatcmpl-g", created: 50, model: "gpt-b", metadata: {} },
  { id: "chatcmpl-c", created: 200, model: "gpt-a", metadata: { env: "prod", team: "red" } },
  { id: "chatcmpl-f", created: 300, model: "gpt-b", metadata: { env: "prod", team: "red" } },
  { id: "chatcmpl-d", created: 100, model: "gpt-a" },
];
// Creation time, then id: the total order. Minted ids are time-ordered, so ties in `created`
// come out in the order the completions were made (the order of `specs`).
const ascendingLabels = specs.map((s, i) => [s, i] as const).sort(([x, i], [y, j]) => x.created - y.created || i - j).map(([s]) => s.id);
let ids: Record<string, string>;
let ascending: string[];
/** The spec of a minted id. */
const specOf = (id: string) => specs.find((s) => ids[s.id] === id)!;

beforeAll(async () => {
  ({ key } = await createTeamWithKey());
  ids = await seedCompletions(key, specs);
  ascending = ascendingLabels.map((label) => ids[label]);
});

describe("GET /v1/chat/completions", () => {
  it("lists oldest first by default, with OpenAI's list shape", async () => {
    const body = await json(await call("/v1/chat/completions", { key }));
    expect(body.object).toBe("list");
    expect(body.data.map((c: any) => c.id)).toEqual(ascending);
    expect(body.first_id).toBe(ascending[0]);
    expect(body.last_id).toBe(ascending.at(-1));
    expect(body.has_more).toBe(false);
    expect(body.data[0]).toMatchObject({ object: "chat.completion", metadata: {} });
  });

  it.each([1, 2, 3, 7])("pages through ties in created both ways with limit %i", async (limit) => {
    expect(await collectIds(key, "order=asc", limit)).toEqual(ascending);
    expect(await collectIds(key, "order=desc", limit)).toEqual([...ascending].reverse());
  });

  it("reports has_more and cursors correctly on a middle page", async () => {
    const body = await json(await call(`/v1/chat/completions?limit=3&after=${ascending[1]}`, { key }));
    expect(body.data.map((c: any) => c.id)).toEqual(ascending.slice(2, 5));
    expect(body).toMatchObject({ first_id: ascending[2], last_id: ascending[4], has_more: true });
  });

  it("filters by model", async () => {
    expect(await collectIds(key, "model=gpt-b", 2)).toEqual(ascending.filter((id) => specOf(id).model === "gpt-b"));
  });

  it("filters by one metadata pair, in both the SDK's encoded form and plain brackets", async () => {
    const expected = ascending.filter((id) => specOf(id).metadata?.env === "prod");
    expect(await collectIds(key, "metadata%5Benv%5D=prod", 2)).toEqual(expected);
    expect(await collectIds(key, "metadata[env]=prod", 100)).toEqual(expected);
    expect(await collectIds(key, "metadata[env]=prod&order=desc", 1)).toEqual([...expected].reverse());
  });

  it("filters by two metadata pairs, all of which must match, and with model", async () => {
    const match = (s: SeedSpec) => s.metadata?.env === "prod" && s.metadata?.team === "red";
    const expected = ascending.filter((id) => match(specOf(id)));
    expect(expected.length).toBe(4);
    expect(await collectIds(key, "metadata[env]=prod&metadata[team]=red", 1)).toEqual(expected);
    expect(await collectIds(key, "metadata[team]=red&metadata[env]=prod&model=gpt-a", 2)).toEqual(expected.filter((id) => id !== ids["chatcmpl-f"]));
    expect(await collectIds(key, "metadata[env]=prod&metadata[env]=dev", 5)).toEqual([]);
  });

  it("answers an empty page with null cursors", async () => {
    const body = await json(await call("/v1/chat/completions?model=nope", { key }));
    expect(body).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
  });

  it.each(["0", "101", "-1", "1.5", "abc", ""])("rejects limit=%s with a 400 on param limit", async (limit) => {
    const res = await call(`/v1/chat/completions?limit=${limit}`, { key });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ type: "invalid_request_error", param: "limit" });
  });

  it("accepts limit=1 and limit=100", async () => {
    expect((await json(await call("/v1/chat/completions?limit=1", { key }))).data).toHaveLength(1);
    expect((await json(await call("/v1/chat/completions?limit=100", { key }))).data).toHaveLength(specs.length);
  });

  it.each(["ASC", "newest", ""])("rejects order=%s with a 400 on param order", async (order) => {
    const res = await call(`/v1/chat/completions?order=${order}`, { key });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe("order");
  });

  it("rejects an unknown after id with a 400 on param after", async () => {
    const res = await call("/v1/chat/completions?after=chatcmpl-unknown", { key });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe("after");
  });
});

describe("GET /v1/chat/completions/{id}", () => {
  it("returns the stored completion with its metadata", async () => {
    const body = await json(await call(`/v1/chat/completions/${ids["chatcmpl-a"]}`, { key }));
    expect(body).toMatchObject({ id: ids["chatcmpl-a"], object: "chat.completion", created: 200, model: "gpt-a", metadata: { env: "prod", team: "red" } });
    expect(body.choices[0].message.content).toBe("answer chatcmpl-a");
  });

  it("returns 404 in OpenAI's shape for an unknown id", async () => {
    const res = await call("/v1/chat/completions/chatcmpl-missing", { key });
    expect(res.status).toBe(404);
    expect((await json(res)).error).toMatchObject({ type: "invalid_request_error", message: expect.stringContaining("chatcmpl-missing") });
  });
});

describe("POST /v1/chat/completions/{id}", () => {
  it("replaces the metadata, and list filters follow the new metadata", async () => {
    const { key: own } = await createTeamWithKey();
    const { "chatcmpl-u1": u1 } = await seedCompletions(own, [{ id: "chatcmpl-u1", created: 10, metadata: { a: "1", b: "2" } }]);
    const res = await call(`/v1/chat/completions/${u1}`, { key: own, body: { metadata: { c: "3" } } });
    expect(res.status).toBe(200);
    expect((await json(res)).metadata).toEqual({ c: "3" });
    expect((await json(await call(`/v1/chat/completions/${u1}`, { key: own }))).metadata).toEqual({ c: "3" });
    expect(await collectIds(own, "metadata[a]=1", 10)).toEqual([]);
    expect(await collectIds(own, "metadata[c]=3", 10)).toEqual([u1]);
    const cleared = await json(await call(`/v1/chat/completions/${u1}`, { key: own, body: { metadata: null } }));
    expect(cleared.metadata).toEqual({});
    expect(await collectIds(own, "metadata[c]=3", 10)).toEqual([]);
  });

  it("requires metadata and applies its limits", async () => {
    expect((await json(await call(`/v1/chat/completions/${ids["chatcmpl-a"]}`, { key, body: {} }))).error.param).toBe("metadata");
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    const res = await call(`/v1/chat/completions/${ids["chatcmpl-a"]}`, { key, body: { metadata: tooMany } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe("metadata");
    expect((await json(await call(`/v1/chat/completions/${ids["chatcmpl-a"]}`, { key }))).metadata).toEqual({ env: "prod", team: "red" });
  });

  it("returns 404 for an unknown id", async () => {
    expect((await call("/v1/chat/completions/chatcmpl-missing", { key, body: { metadata: {} } })).status).toBe(404);
  });
});

describe("DELETE /v1/chat/completions/{id}", () => {
  it("deletes the completion and its messages, then answers 404", async () => {
    const { key: own } = await createTeamWithKey();
    const { "chatcmpl-del": del } = await seedCompletions(own, [{ id: "chatcmpl-del", created: 10, metadata: { x: "y" } }]);
    const res = await call(`/v1/chat/completions/${del}`, { key: own, method: "DELETE" });
    expect(await json(res)).toEqual({ id: del, object: "chat.completion.deleted", deleted: true });
    expect((await call(`/v1/chat/completions/${del}`, { key: own })).status).toBe(404);
    expect((await call(`/v1/chat/completions/${del}/messages`, { key: own })).status).toBe(404);
    expect(await collectIds(own, "metadata[x]=y", 10)).toEqual([]);
    expect((await call(`/v1/chat/completions/${del}`, { key: own, method: "DELETE" })).status).toBe(404);
    const leftovers = await Promise.all(
      ["completion_messages", "completion_metadata", "payload_parts"].map((table) =>
        env.DB.prepare(`select count(*) as n from ${table} where completion_id = ?`).bind(del).first<{ n: number }>(),
      ),
    );
    expect(leftovers.map((r) => r!.n)).toEqual([0, 0, 0]);
  });
});

describe("a list over rows whose bodies are gone", () => {
  it("skips them and fills the page from the rows after them, so paging never stalls on an empty page", async () => {
    const { key: own, teamId } = await createTeamWithKey();
    const labels = ["l1", "l2", "l3", "l4", "l5", "l6", "l7"];
    const made = await seedCompletions(own, labels.map((id, i) => ({ id, created: 1_000 + i })));
    // Bodies gone before their rows (an orphan, or retention's R2 sweep ahead of its D1 purge): l2 to l5.
    const gone = ["l2", "l3", "l4", "l5"].map((label) => compactId(made[label]));
    const keys = (await r2Keys(`t/${await tidOf(teamId)}/`)).filter((k) => gone.some((id) => k.endsWith(`/c/${id}`)));
    expect(keys).toHaveLength(4);
    await env.BODIES.delete(keys);
    const first = await json(await call("/v1/chat/completions?limit=3&order=asc", { key: own }));
    expect(first.data.map((c: any) => c.id)).toEqual([made.l1, made.l6, made.l7]);
    expect(first).toMatchObject({ has_more: false, first_id: made.l1, last_id: made.l7 });
    // One at a time: four missing bodies in a row after l1 still give the next one, never an empty page that claims more.
    const second = await json(await call(`/v1/chat/completions?limit=1&order=asc&after=${made.l1}`, { key: own }));
    expect(second.data.map((c: any) => c.id)).toEqual([made.l6]);
    expect(second.has_more).toBe(true);
  });
});

describe("a minted id's bare suffix", () => {
  it("names no completion: get, update, messages and delete answer 404, and the completion stays whole", async () => {
    const { key: own } = await createTeamWithKey();
    const { "chatcmpl-bare": id } = await seedCompletions(own, [{ id: "chatcmpl-bare", created: 10, metadata: { x: "y" } }]);
    const bare = id.slice("chatcmpl-".length);
    expect((await call(`/v1/chat/completions/${bare}`, { key: own })).status).toBe(404);
    expect((await call(`/v1/chat/completions/${bare}/messages`, { key: own })).status).toBe(404);
    expect((await call(`/v1/chat/completions/${bare}`, { key: own, body: { metadata: { x: "z" } } })).status).toBe(404);
    expect((await call(`/v1/chat/completions/${bare}`, { key: own, method: "DELETE" })).status).toBe(404);
    const kept = await json(await call(`/v1/chat/completions/${id}`, { key: own }));
    expect(kept).toMatchObject({ id, metadata: { x: "y" } });
  });
});

describe("GET /v1/chat/completions/{id}/messages", () => {
  const conversation = [
    { role: "developer", content: "Be brief." },
    { role: "system", content: "You are helpful." },
    { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }], name: "ann" },
    { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: "{}" } }] },
    { role: "tool", content: "a cat", tool_call_id: "call_1" },
    { role: "user", content: "Thanks" },
  ];
  let own: string;
  let msgs: string;
  beforeAll(async () => {
    ({ key: own } = await createTeamWithKey());
    ({ "chatcmpl-msgs": msgs } = await seedCompletions(own, [{ id: "chatcmpl-msgs", created: 10, messages: conversation }]));
  });

  it("returns every input message in request order, in OpenAI's message shape", async () => {
    const body = await json(await call(`/v1/chat/completions/${msgs}/messages`, { key: own }));
    expect(body.data.map((m: any) => m.id)).toEqual(conversation.map((_, i) => `${msgs}-${i}`));
    expect(body.data.map((m: any) => m.role)).toEqual(conversation.map((m) => m.role));
    expect(body.data[0]).toEqual({ id: `${msgs}-0`, role: "developer", content: "Be brief.", refusal: null, name: null, content_parts: null });
    expect(body.data[2]).toEqual({ id: `${msgs}-2`, role: "user", content: "What is this?", refusal: null, name: "ann", content_parts: conversation[2].content });
    expect(body.data[3]).toMatchObject({ role: "assistant", content: null, tool_calls: conversation[3].tool_calls });
    expect(body.data[4]).toMatchObject({ role: "tool", content: "a cat", tool_call_id: "call_1" });
    expect(body).toMatchObject({ object: "list", first_id: `${msgs}-0`, last_id: `${msgs}-5`, has_more: false });
  });

  it.each([1, 2, 4])("pages both ways with limit %i", async (limit) => {
    for (const order of ["asc", "desc"]) {
      const ids: string[] = [];
      let after = "";
      for (let i = 0; i < 10; i++) {
        const body = await json(await call(`/v1/chat/completions/${msgs}/messages?order=${order}&limit=${limit}${after}`, { key: own }));
        ids.push(...body.data.map((m: any) => m.id));
        if (!body.has_more) break;
        after = `&after=${body.last_id}`;
      }
      const expected = conversation.map((_, i) => `${msgs}-${i}`);
      expect(ids).toEqual(order === "asc" ? expected : expected.reverse());
    }
  });

  it("validates limit, order and after", async () => {
    for (const query of ["limit=0", "limit=101", "order=up", "after=chatcmpl-other-1", `after=${msgs}-x`]) {
      const res = await call(`/v1/chat/completions/${msgs}/messages?${query}`, { key: own });
      expect(res.status, query).toBe(400);
      expect((await json(res)).error.param).toBe(query.split("=")[0]);
    }
  });

  it("returns 404 for an unknown completion", async () => {
    expect((await call("/v1/chat/completions/chatcmpl-nope/messages", { key: own })).status).toBe(404);
  });
});
