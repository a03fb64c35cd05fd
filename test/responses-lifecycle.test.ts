import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearPendingResponses } from "../src/responses/pending";
import { ADMIN_TOKEN, call, createTeamWithKey, json } from "./helpers/gateway";
import { runCron } from "./helpers/cron";
import { brokenWritesD1 } from "./helpers/d1-faults";
import { capturingQueue, drainQueue } from "./helpers/queue";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";
import { r2Keys, tidOf } from "./helpers/store";
import { requireTeamStore, shardDatabases } from "../src/store/shards";

// What happens to a stored response after its answer: a failed write is retried from the queue,
// retention and team deletion remove body and index.

afterEach(() => {
  restoreSpies();
  vi.useRealTimers();
});

const answer = () => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: "kept", refusal: null }, finish_reason: "stop", logprobs: null }] }));

/** A team's rows in one of the Responses API's tables, in every shard. */
async function rowCount(table: string, teamId: string): Promise<number> {
  let n = 0;
  for (const d1 of shardDatabases(env)) n += (await d1.prepare(`select count(*) as n from ${table} where team_id = ?`).bind(teamId).first<number>("n")) ?? 0;
  return n;
}

describe("stored responses", () => {
  it("a write D1 refuses goes to the queue and lands from there; nothing is lost", async () => {
    const { key } = await createTeamWithKey();
    mockUpstream(answer);
    const { queue, sent } = capturingQueue(["store.response"]);
    const res = await call("/v1/responses", { key, env: { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue }, body: { model: "gpt-4o-mini", input: "keep me" } });
    const { id } = await json(res);
    expect(sent.map((s) => s.body.kind)).toEqual(["store.response"]);
    // The body is in R2 already: the message carries only what finds it, whatever the response's size.
    expect(sent[0].body).toEqual({ kind: "store.response", teamId: expect.any(String), responseId: id, record: null });
    // Another isolate, before the queue ran: the index is missing, but not the answer's body… until it lands.
    await drainQueue(sent);
    clearPendingResponses();
    const stored = await json(await call(`/v1/responses/${id}`, { key }));
    expect(stored.output[0].content[0].text).toBe("kept");
    const chained = await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "next", previous_response_id: id } });
    expect(chained.status).toBe(200);
  });

  it("a response held in this isolate while its write is queued is gone once another isolate deletes it", async () => {
    const { key, teamId } = await createTeamWithKey();
    mockUpstream(answer);
    const { queue, sent } = capturingQueue(["store.response"]);
    const { id } = await json(await call("/v1/responses", { key, env: { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue }, body: { model: "gpt-4o-mini", input: "held" } }));
    expect((await call(`/v1/responses/${id}`, { key })).status).toBe(200);
    // Another isolate's DELETE, as deleteResponse does it: the tombstone in the team's shard, then the body.
    const store = await requireTeamStore(env, teamId);
    await store.d1.prepare("insert into response_tombstones (team_id, response_id, deleted_at) values (?, ?, ?)").bind(teamId, id, Date.now()).run();
    await env.BODIES.delete((await r2Keys(`t/${store.tid}/`)).filter((k) => k.endsWith(id)));
    expect((await call(`/v1/responses/${id}`, { key })).status).toBe(404);
    const chained = await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "next", previous_response_id: id } });
    expect(chained.status).toBe(400);
    await drainQueue(sent);
    expect((await call(`/v1/responses/${id}`, { key })).status).toBe(404);
  });

  it("a response over the queue's message limit whose R2 write fails goes in pieces and lands whole; nothing is lost", async () => {
    const { key, teamId } = await createTeamWithKey();
    const long = "y".repeat(200_000);
    mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: long, refusal: null }, finish_reason: "stop", logprobs: null }] })));
    const { queue, sent } = capturingQueue(["store.response", "store.response.piece"]);
    const failingPuts = {
      put: async () => {
        throw new Error("R2 is unavailable");
      },
      get: (key: string) => env.BODIES.get(key),
      head: (key: string) => env.BODIES.head(key),
      delete: (keys: string | string[]) => env.BODIES.delete(keys),
      list: (options?: R2ListOptions) => env.BODIES.list(options),
    } as unknown as R2Bucket;
    const { id } = await json(await call("/v1/responses", { key, env: { BODIES: failingPuts, BACKGROUND_QUEUE: queue }, body: { model: "gpt-4o-mini", input: "long one" } }));
    expect(sent.length).toBeGreaterThan(1);
    expect(new Set(sent.map((s) => s.body.kind))).toEqual(new Set(["store.response.piece"]));
    const tid = await tidOf(teamId);
    expect(await r2Keys(`t/${tid}/`)).toEqual([]);
    await drainQueue(sent);
    clearPendingResponses();
    const stored = await json(await call(`/v1/responses/${id}`, { key }));
    expect(stored.output[0].content[0].text).toBe(long);
    expect((await r2Keys(`t/${tid}/`)).length).toBe(1);
    expect(await rowCount("responses", teamId)).toBe(1);
    // The pieces are gone once the whole has landed.
    expect(await rowCount("write_spool", teamId)).toBe(0);
  });

  it("a previous_response_id sent right after the answer finds it, in this isolate, before its write lands", async () => {
    const { key } = await createTeamWithKey();
    mockUpstream(answer);
    const { queue, sent } = capturingQueue(["store.response"]);
    // The write fails and waits in the queue: only this isolate's memory has it.
    const first = await json(await call("/v1/responses", { key, env: { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue }, body: { model: "gpt-4o-mini", input: "one" } }));
    const second = await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "two", previous_response_id: first.id } });
    expect(second.status).toBe(200);
    await drainQueue(sent);
  });

  it("retention removes the body and the index of responses older than STORE_RETENTION_DAYS, with the completions of the same days", async () => {
    const { key, teamId } = await createTeamWithKey();
    const tid = await tidOf(teamId);
    mockUpstream(answer);
    const { id } = await json(await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "old" } }));
    const completion = await json(await call("/v1/chat/completions", { key, body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "old" }], store: true } }));
    const conversation = await json(await call("/v1/conversations", { key, body: { items: [{ role: "user", content: "kept" }] } }));
    const kinds = async () => (await r2Keys(`t/${tid}/`)).filter((k) => !k.startsWith(`t/${tid}/conv/`)).map((k) => k.split("/")[3]).sort();
    expect(await kinds()).toEqual(["c", "m", "r"]);
    expect(await rowCount("responses", teamId)).toBe(1);
    await runCron({ STORE_RETENTION_DAYS: "30" });
    expect(await kinds()).toEqual(["c", "m", "r"]);
    vi.useFakeTimers({ now: Date.now() + 31 * 86_400_000, toFake: ["Date"] });
    await runCron({ STORE_RETENTION_DAYS: "30" });
    // One sweep of the team's expired day prefix: the response's body and the completion's alike.
    expect(await kinds()).toEqual([]);
    expect(await rowCount("responses", teamId)).toBe(0);
    // Conversations do not expire: their items sit outside the day prefixes.
    expect(await r2Keys(`t/${tid}/conv/`)).toHaveLength(1);
    expect((await json(await call(`/v1/conversations/${conversation.id}/items`, { key }))).data[0].content[0].text).toBe("kept");
    // Read 31 days on, as the ids are no longer fresh: a miss is a 404 at once.
    clearPendingResponses();
    expect((await call(`/v1/responses/${id}`, { key })).status).toBe(404);
    expect((await call(`/v1/chat/completions/${completion.id}`, { key })).status).toBe(404);
  });

  it("deleting a team removes its responses' bodies and rows, its conversations and its completions, under its one R2 prefix", async () => {
    const { key, teamId } = await createTeamWithKey();
    const tid = await tidOf(teamId);
    mockUpstream(answer);
    await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "mine" } });
    await call("/v1/chat/completions", { key, body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "mine" }], store: true } });
    await call("/v1/conversations", { key, body: { items: [{ role: "user", content: "hi" }] } });
    // The response's body, the completion's two and the conversation item's, all under the team's prefix.
    expect((await r2Keys(`t/${tid}/`)).length).toBe(4);
    expect((await r2Keys(`t/${tid}/conv/`)).length).toBe(1);
    expect(await rowCount("conversation_items", teamId)).toBe(1);
    const { queue, sent } = capturingQueue(["team.purge"]);
    expect((await call(`/admin/teams/${teamId}`, { key: ADMIN_TOKEN, method: "DELETE", env: { BACKGROUND_QUEUE: queue } })).status).toBe(200);
    await drainQueue(sent, { BACKGROUND_QUEUE: queue });
    expect(await r2Keys(`t/${tid}/`)).toEqual([]);
    for (const table of ["responses", "conversations", "conversation_items"]) expect([table, await rowCount(table, teamId)]).toEqual([table, 0]);
  });
});
