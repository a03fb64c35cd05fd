import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { call, callLive, createTeamWithKey, json } from "./helpers/gateway";
import { MINTED_ID, mintedIdIn } from "./helpers/ids";
import { capturingQueue } from "./helpers/queue";
import { collectIds, seedCompletions } from "./helpers/seed";
import { chunk, completionFixture, jsonResponse, mockUpstream, readSse, sseResponse, textStreamChunks } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";
import { indexCount } from "./helpers/store";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(restoreSpies);

const messages = [{ role: "user", content: "hi" }];

/** The real D1, except that writes in a batch fail, as when D1 is down or overloaded. */
function failingWritesD1(): D1Database {
  const real = env.DB;
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "batch") return async () => { throw new Error("D1_ERROR: simulated outage"); };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function captureLogs() {
  const lines: string[] = [];
  for (const level of ["log", "warn", "error"] as const) track(vi.spyOn(console, level)).mockImplementation((...args) => void lines.push(args.join(" ")));
  return lines;
}

describe("a D1 failure while storing", () => {
  it("still returns the complete answer, logs one structured line, and hands the write to the queue", async () => {
    const logs = captureLogs();
    const { queue, sent } = capturingQueue();
    const fixture = completionFixture({ id: "chatcmpl-d1down" });
    mockUpstream(() => jsonResponse(fixture));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { DB: failingWritesD1(), BACKGROUND_QUEUE: queue } });
    expect(res.status).toBe(200);
    // The id is the gateway's; the rest is the upstream's.
    const answer = await json(res);
    expect(answer.id).toMatch(MINTED_ID);
    expect({ ...answer, id: fixture.id }).toEqual(fixture);
    const failures = logs.filter((l) => l.includes('"store_write_queued"'));
    expect(failures).toHaveLength(1);
    expect(JSON.parse(failures[0])).toMatchObject({ level: "warn", event: "store_write_queued", completion_id: answer.id, error: expect.stringContaining("simulated outage") });
    expect(sent.map((s) => s.body)).toEqual([expect.objectContaining({ kind: "store.completion", completionId: answer.id })]);
  });

  it("still streams the whole answer", async () => {
    const logs = captureLogs();
    const { queue, sent } = capturingQueue();
    const events = textStreamChunks("chatcmpl-d1down-stream", ["a", "b"]);
    mockUpstream(() => sseResponse(events));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true }, env: { DB: failingWritesD1(), BACKGROUND_QUEUE: queue } });
    const received = await readSse(res);
    expect(received.at(-1)!.data).toBe("[DONE]");
    expect(received.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data).choices[0]?.delta?.content)).toEqual(["", "a", "b", undefined]);
    expect(logs.filter((l) => l.includes('"store_write_queued"'))).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });

  it("keeps answering, streamed or not, when D1 is down altogether", async () => {
    const logs = captureLogs();
    const { queue, sent } = capturingQueue();
    const down = { prepare: () => { throw new Error("D1_ERROR: unavailable"); }, batch: async () => { throw new Error("D1_ERROR: unavailable"); } } as unknown as D1Database;
    const fixture = completionFixture({ id: "chatcmpl-d1-gone" });
    mockUpstream((upstreamCall) => (upstreamCall.body.stream ? sseResponse(textStreamChunks("chatcmpl-d1-gone-s", ["ok"])) : jsonResponse(fixture)));
    const plain = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { DB: down, BACKGROUND_QUEUE: queue } });
    const answer = await json(plain);
    expect(answer.id).toMatch(MINTED_ID);
    expect({ ...answer, id: fixture.id }).toEqual(fixture);
    const streamed = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true, stream: true }, env: { DB: down, BACKGROUND_QUEUE: queue } });
    expect((await readSse(streamed)).at(-1)!.data).toBe("[DONE]");
    expect(logs.filter((l) => l.includes('"store_write_queued"'))).toHaveLength(2);
    expect(sent).toHaveLength(2);
  });

  it("logs the loss with team and id only if the queue refuses the write too", async () => {
    const logs = captureLogs();
    const refusing = { send: async () => { throw new Error("queue unavailable"); }, sendBatch: async () => { throw new Error("queue unavailable"); } } as unknown as Queue;
    mockUpstream(() => jsonResponse(completionFixture()));
    const answer = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { DB: failingWritesD1(), BACKGROUND_QUEUE: refusing } }));
    const lost = logs.filter((l) => l.includes('"store_failed"')).map((l) => JSON.parse(l));
    expect(lost).toEqual([expect.objectContaining({ level: "error", completion_id: answer.id, team_id: expect.stringMatching(/^team_/), error: expect.stringContaining("queue unavailable") })]);
  });
});

describe("a queue that refuses usage records", () => {
  it("logs each record whole, once, and still answers", async () => {
    const logs = captureLogs();
    const refusing = { send: async () => { throw new Error("queue unavailable"); }, sendBatch: async () => { throw new Error("queue unavailable"); } } as unknown as Queue;
    mockUpstream(() => jsonResponse(completionFixture({ usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } })));
    const live = await Promise.all([1, 2].map(() => callLive("/v1/chat/completions", { key, body: { model: "m", messages }, env: { BACKGROUND_QUEUE: refusing } })));
    expect(live.map((l) => l.response.status)).toEqual([200, 200]);
    await Promise.all(live.map((l) => l.settled()));
    const lost = logs.filter((l) => l.includes('"usage_event_not_sent"')).map((l) => JSON.parse(l));
    expect(lost).toHaveLength(2);
    expect(new Set(lost.map((l) => l.message.event.id)).size).toBe(2);
    for (const line of lost) {
      // The record whole, under its own key: its `event` must not hide the log line's name.
      expect(line).toMatchObject({ level: "error", event: "usage_event_not_sent", error: expect.stringContaining("queue unavailable") });
      expect(line.message).toMatchObject({ kind: "usage", event: { teamId: expect.stringMatching(/^team_/), inputTokens: 7, outputTokens: 3 } });
      expect(line.message.outcome).toMatchObject({ id: line.message.event.id, failed: false });
    }
  });
});

describe("a slow D1", () => {
  it("does not hold up the answer: no D1 call comes before it, and it is stored after", async () => {
    // Every query answers a second late: batches, and statements however they are run.
    let answered = 0;
    const late = <T>(work: () => Promise<T>) =>
      new Promise((r) => setTimeout(r, 1_000))
        .then(work)
        .finally(() => answered++);
    const slowStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
      new Proxy(statement, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (typeof value !== "function") return value;
          if (prop === "bind") return (...args: unknown[]) => slowStatement(value.apply(target, args));
          if (["first", "all", "raw", "run"].includes(String(prop))) return (...args: unknown[]) => late(() => value.apply(target, args));
          return value.bind(target);
        },
      });
    const slow = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch") return (list: D1PreparedStatement[]) => late(() => target.batch(list));
        if (prop === "prepare") return (query: string) => slowStatement(target.prepare(query));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const fixture = completionFixture({ id: "chatcmpl-slow-d1" });
    mockUpstream(() => jsonResponse(fixture));
    const { response, settled } = await callLive("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { DB: slow } });
    const answer = await json(response);
    // No D1 call had been answered when the client had the whole answer (the key is cached from beforeAll's calls).
    expect(answered).toBe(0);
    expect(answer.id).not.toBe(fixture.id);
    expect(answer.id).toMatch(MINTED_ID);
    await settled();
    expect(answered).toBeGreaterThan(0);
    expect((await json(await call(`/v1/chat/completions/${answer.id}`, { key }))).choices).toEqual(fixture.choices);
  });
});

describe("a client that disconnects mid-stream", () => {
  it("cancels the upstream request and stores nothing", async () => {
    let cancelled: unknown = null;
    const encoder = new TextEncoder();
    mockUpstream(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk("chatcmpl-gone", { content: "first" }))}\n\n`));
            },
            cancel(reason) {
              cancelled = reason ?? "cancelled";
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const { response, settled } = await callLive("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    const reader = response.body!.getReader();
    const id = mintedIdIn(new TextDecoder().decode((await reader.read()).value));
    await reader.cancel("client went away");
    await settled();
    expect(cancelled).not.toBeNull();
    expect(await indexCount([id])).toBe(0);
  });
});

describe("load", () => {
  it("stores all of 200 concurrent store: true requests, half streamed, none lost or doubled", async () => {
    const { key: own } = await createTeamWithKey();
    let n = 0;
    mockUpstream((upstreamCall) => {
      const i = n++;
      const id = `chatcmpl-load-${i}`;
      const tag = upstreamCall.body.messages[0].content;
      if (upstreamCall.body.stream) return sseResponse(textStreamChunks(id, [`answer `, tag]), { splitEvery: 40 });
      return jsonResponse(completionFixture({ id, choices: [{ index: 0, message: { role: "assistant", content: `answer ${tag}`, refusal: null }, finish_reason: "stop", logprobs: null }] }));
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await call("/v1/chat/completions", {
          key: own,
          body: { model: "m", messages: [{ role: "user", content: `req-${i}` }], store: true, stream: i % 2 === 0, metadata: { req: String(i) } },
        });
        expect(res.status).toBe(200);
        await res.text();
      }),
    );
    expect(results).toHaveLength(200);
    const ids = await collectIds(own, "", 100);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    const page1 = await json(await call("/v1/chat/completions?limit=100", { key: own }));
    const page2 = await json(await call(`/v1/chat/completions?limit=100&after=${page1.last_id}`, { key: own }));
    for (const completion of [...page1.data, ...page2.data]) {
      const req = completion.metadata.req;
      expect(completion.choices[0].message.content).toBe(`answer req-${req}`);
    }
    expect(new Set([...page1.data, ...page2.data].map((c: any) => c.metadata.req)).size).toBe(200);
  });

  it("ends concurrent updates and deletes of one id in a consistent state", async () => {
    for (let round = 0; round < 5; round++) {
      const { key: own } = await createTeamWithKey();
      const { race: id } = await seedCompletions(own, [{ id: "race", created: 1, metadata: { v: "0" } }]);
      const ops = Array.from({ length: 12 }, (_, i) =>
        i === 3 + round
          ? call(`/v1/chat/completions/${id}`, { key: own, method: "DELETE" })
          : call(`/v1/chat/completions/${id}`, { key: own, body: { metadata: { v: String(i + 1), [`k${i}`]: "x" } } }),
      );
      const statuses = (await Promise.all(ops)).map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 404)).toBe(true);
      const get = await call(`/v1/chat/completions/${id}`, { key: own });
      const pairs = await env.DB.prepare("select key, value from completion_metadata where completion_id = ? order by key").bind(id).all<{ key: string; value: string }>();
      if (get.status === 404) {
        expect(pairs.results).toEqual([]);
      } else {
        const metadata = (await json(get)).metadata;
        expect(Object.fromEntries(pairs.results.map((p) => [p.key, p.value]))).toEqual(metadata);
      }
    }
  });
});
