import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { brokenWritesD1, flakyWritesD1 } from "./helpers/d1-faults";
import { call, callLive, createTeamWithKey, json } from "./helpers/gateway";
import { MINTED_ID, mintedIdIn } from "./helpers/ids";
import { capturingQueue, drainQueue, MAX_MESSAGE_BYTES, MAX_RETRIES } from "./helpers/queue";
import { recordingD1 } from "./helpers/recording-d1";
import { filterCount, filterPairs, indexCount, messageCount } from "./helpers/store";
import { completionFixture, jsonResponse, mockUpstream, sseResponse, textStreamChunks } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
  // The key is now cached, so that the auth step makes no D1 call in the tests below.
  await call("/v1/chat/completions?limit=1", { key });
});
afterEach(restoreSpies);

const messages = [{ role: "user", content: "hi" }];
const answerTo = (content: string) => completionFixture({ choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }] });

function captureLogs() {
  const lines: string[] = [];
  for (const level of ["log", "warn", "error"] as const) track(vi.spyOn(console, level)).mockImplementation((...args) => void lines.push(args.join(" ")));
  return lines;
}

const count = async (table: string, column: string, ids: string[]) =>
  (await env.DB.prepare(`select count(*) as n from ${table} where ${column} in (${ids.map(() => "?").join(", ")})`).bind(...ids).first<number>("n")) ?? 0;
const stored = indexCount;

describe("no D1 call before the answer", () => {
  it("starts no statement before the Response of a stored request is returned, and stores it after", async () => {
    mockUpstream(() => jsonResponse(answerTo("plain")));
    const { db, statements } = recordingD1();
    const { response, settled } = await callLive("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { DB: db } });
    expect(statements).toEqual([]);
    const { id } = await json(response);
    await settled();
    expect(statements.some((s) => /^insert into completion_index/i.test(s.sql))).toBe(true);
    expect(await stored([id])).toBe(1);
  });

  it("starts no statement before the first chunk of a stored stream is sent", async () => {
    mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-up", ["a", "b"]), { delayMs: 5 }));
    const { db, statements } = recordingD1();
    const { response, settled } = await callLive("/v1/chat/completions", { key, body: { model: "m", messages, store: true, stream: true }, env: { DB: db } });
    expect(statements).toEqual([]);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(statements).toEqual([]);
    const id = mintedIdIn(first);
    while (!(await reader.read()).done);
    await settled();
    expect(statements.some((s) => /^insert into completion_index/i.test(s.sql))).toBe(true);
    expect(await stored([id])).toBe(1);
  });
});

describe("a write that fails", () => {
  it("is retried from the queue until it lands: N requests with the first K writes failing are all stored exactly once", async () => {
    const { key: own } = await createTeamWithKey();
    const N = 20;
    const K = 30;
    const { db, attempts } = flakyWritesD1(K);
    const { queue, sent } = capturingQueue();
    mockUpstream((upstream) => (upstream.body.stream ? sseResponse(textStreamChunks("chatcmpl-up", [upstream.body.messages[0].content])) : jsonResponse(answerTo(upstream.body.messages[0].content))));
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await call("/v1/chat/completions", {
        key: own,
        body: { model: "m", messages: [{ role: "user", content: `q${i}` }], store: true, stream: i % 2 === 0, metadata: { i: String(i) } },
        env: { DB: db, BACKGROUND_QUEUE: queue },
      });
      ids.push(mintedIdIn(await res.text()));
    }
    expect(new Set(ids).size).toBe(N);
    // Every write in waitUntil failed, so each went to the queue.
    expect(sent).toHaveLength(N);
    const { rounds, dead } = await drainQueue(sent, { DB: db, BACKGROUND_QUEUE: queue });
    expect(dead).toEqual([]);
    expect(rounds).toBeGreaterThan(1);
    expect(attempts()).toBe(K + N);
    expect(await stored(ids)).toBe(N);
    expect(await filterCount(ids)).toBe(N);
    expect(await messageCount(ids)).toBe(N);
    for (const [i, id] of ids.entries()) {
      const stored = await json(await call(`/v1/chat/completions/${id}`, { key: own }));
      expect(stored.choices[0].message.content).toBe(`q${i}`);
      expect(stored.metadata).toEqual({ i: String(i) });
    }
  });

  it("is retried from the queue when R2 fails the body write: nothing lost, no index row without its body", async () => {
    const { key: own } = await createTeamWithKey();
    const N = 6;
    let failures = 9;
    const flakyR2 = new Proxy(env.BODIES, {
      get(target, prop) {
        if (prop === "put") return (...args: Parameters<R2Bucket["put"]>) => (failures-- > 0 ? Promise.reject(new Error("R2: simulated failure")) : target.put(...args));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { queue, sent } = capturingQueue();
    mockUpstream((upstream) => jsonResponse(answerTo(upstream.body.messages[0].content)));
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await call("/v1/chat/completions", { key: own, body: { model: "m", messages: [{ role: "user", content: `r${i}` }], store: true }, env: { BODIES: flakyR2, BACKGROUND_QUEUE: queue } });
      ids.push((await json(res)).id);
    }
    expect(sent).toHaveLength(N);
    // The body is written before the index row: no row exists while its write is queued.
    expect(await stored(ids)).toBe(0);
    const { dead } = await drainQueue(sent, { BODIES: flakyR2, BACKGROUND_QUEUE: queue });
    expect(dead).toEqual([]);
    expect(await stored(ids)).toBe(N);
    for (const [i, id] of ids.entries()) {
      expect((await json(await call(`/v1/chat/completions/${id}`, { key: own }))).choices[0].message.content).toBe(`r${i}`);
      expect((await json(await call(`/v1/chat/completions/${id}/messages`, { key: own }))).data[0].content).toBe(`r${i}`);
    }
  });

  it("stores nothing twice when a write is delivered again after it landed", async () => {
    const { queue, sent } = capturingQueue();
    mockUpstream(() => jsonResponse(answerTo("twice")));
    const { id } = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true, metadata: { a: "1" } }, env: { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue } }));
    const message = sent[0];
    await drainQueue([message, { ...message }, { ...message }]);
    // Metadata replaced since must not come back with a late duplicate.
    await call(`/v1/chat/completions/${id}`, { key, body: { metadata: { b: "2" } } });
    await drainQueue([{ ...message }]);
    expect(await stored([id])).toBe(1);
    expect(await messageCount([id])).toBe(1);
    expect(await filterPairs(id)).toEqual([{ key: "b", value: "2" }]);
  });

  it("reaches the dead-letter queue after the last retry, and is logged there with its team and id", async () => {
    const { key: own, teamId } = await createTeamWithKey();
    const { queue, sent } = capturingQueue();
    mockUpstream(() => jsonResponse(answerTo("never")));
    const broken = brokenWritesD1();
    const { id } = await json(await call("/v1/chat/completions", { key: own, body: { model: "m", messages, store: true }, env: { DB: broken, BACKGROUND_QUEUE: queue } }));
    const logs = captureLogs();
    const { rounds, dead } = await drainQueue(sent, { DB: broken });
    expect(rounds).toBe(MAX_RETRIES + 1);
    expect(dead).toEqual([expect.objectContaining({ kind: "store.completion", teamId, completionId: id })]);
    const retries = logs.filter((l) => l.includes('"store_write_retry"')).map((l) => JSON.parse(l));
    expect(retries).toHaveLength(MAX_RETRIES + 1);
    // Backoff: each retry waits longer, up to the cap.
    expect(retries.map((r) => r.delay_seconds)).toEqual([5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600]);
    const deadLines = logs.filter((l) => l.includes('"background_message_dead"')).map((l) => JSON.parse(l));
    expect(deadLines).toEqual([expect.objectContaining({ level: "error", team_id: teamId, completion_id: id, kind: "store.completion" })]);
    expect(await stored([id])).toBe(0);
  });

  it("splits a completion larger than a queue message (128 KB) into pieces that each fit, and stores it whole", async () => {
    const { queue, sent } = capturingQueue();
    // 300 KB of text with multi-byte characters, quotes and backslashes, which grow when escaped.
    const big = Array.from({ length: 30_000 }, (_, i) => `é"\\${i % 10}✓`).join("");
    mockUpstream(() => jsonResponse(answerTo(big)));
    const { id } = await json(
      await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: big }], store: true }, env: { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue } }),
    );
    expect(sent.length).toBeGreaterThan(2);
    for (const message of sent) {
      expect(message.body.kind).toBe("store.completion.piece");
      expect(message.bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    }
    // The pieces arrive out of order, one of them twice.
    sent.reverse();
    sent.push({ ...sent[1] });
    const { dead } = await drainQueue(sent);
    expect(dead).toEqual([]);
    const stored = await json(await call(`/v1/chat/completions/${id}`, { key }));
    expect(stored.choices[0].message.content === big).toBe(true);
    const page = await json(await call(`/v1/chat/completions/${id}/messages`, { key }));
    expect(page.data[0].content === big).toBe(true);
    expect(await count("write_spool", "completion_id", [id])).toBe(0);
  });
});

describe("a delete that comes before a delayed write", () => {
  it("is not undone when the write lands", async () => {
    const { queue, sent } = capturingQueue();
    mockUpstream(() => jsonResponse(answerTo("doomed")));
    const { id } = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue } }));
    expect(id).toMatch(MINTED_ID);
    const deleted = await call(`/v1/chat/completions/${id}`, { key, method: "DELETE" });
    expect(await json(deleted)).toEqual({ id, object: "chat.completion.deleted", deleted: true });
    const { dead } = await drainQueue(sent);
    expect(dead).toEqual([]);
    expect(await stored([id])).toBe(0);
    expect(await messageCount([id])).toBe(0);
    expect((await call(`/v1/chat/completions/${id}`, { key })).status).toBe(404);
  });

  it("keeps none of the pieces of a large write whose completion was deleted while they were queued", async () => {
    const { queue, sent } = capturingQueue();
    mockUpstream(() => jsonResponse(answerTo("y".repeat(300_000))));
    const { id } = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue } }));
    expect(sent.length).toBeGreaterThan(2);
    expect((await call(`/v1/chat/completions/${id}`, { key, method: "DELETE" })).status).toBe(200);
    // Not kept even while other pieces are still missing.
    expect((await drainQueue(sent.slice(0, -1))).dead).toEqual([]);
    expect(await count("write_spool", "completion_id", [id])).toBe(0);
    const { dead } = await drainQueue(sent.slice(-1));
    expect(dead).toEqual([]);
    expect(await count("write_spool", "completion_id", [id])).toBe(0);
    expect(await stored([id])).toBe(0);
  });
});
