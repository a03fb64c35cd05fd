import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { D1_MAX_BOUND_PARAMETERS } from "../src/db/d1-limits";
import { dayOf } from "../src/store/bodies";
import { runCron } from "./helpers/cron";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { recordingD1 } from "./helpers/recording-d1";
import { age, filterCount, indexCount, r2Keys } from "./helpers/store";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";

afterEach(restoreSpies);

const DAY_MS = 24 * 3_600_000;

async function store(key: string, content: string, history: unknown[] = [{ role: "user", content: "q" }]): Promise<string> {
  const { spy } = mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }] })));
  const res = await call("/v1/chat/completions", { key, body: { model: "m", messages: [...history, { role: "user", content }], store: true, metadata: { k: "v" } } });
  spy.mockRestore();
  return (await json(res)).id;
}

/** The completion and every one of its messages, as the API shows them. */
async function whole(key: string, id: string) {
  const completion = await call(`/v1/chat/completions/${id}`, { key });
  const messages = await call(`/v1/chat/completions/${id}/messages?limit=100`, { key });
  return { status: [completion.status, messages.status], completion: await json(completion), messages: (await json(messages)).data };
}

const tidOf = async (teamId: string) => (await env.DB.prepare("select store_id from team_store where team_id = ?").bind(teamId).first<number>("store_id"))!;

describe("the retention purge (cron)", () => {
  let key: string;
  let teamId: string;
  beforeAll(async () => {
    ({ key, teamId } = await createTeamWithKey());
  });

  it("deletes completions older than STORE_RETENTION_DAYS with their metadata and R2 day prefix, and touches nothing else", async () => {
    const large = "L".repeat(500_000);
    const expired = [await store(key, "old 1"), await store(key, large)];
    const kept = [await store(key, "new 1"), await store(key, large)];
    await age(expired, 31);
    await age([kept[0]], 29);
    const { key: otherKey } = await createTeamWithKey();
    const other = await store(otherKey, "other team, fresh");
    const keptBefore = await Promise.all(kept.map((id) => whole(key, id)));
    const otherBefore = await whole(otherKey, other);
    const tid = await tidOf(teamId);
    const oldDay = `t/${tid}/${dayOf(Date.now() - 31 * DAY_MS)}/`;
    expect((await r2Keys(oldDay)).length).toBeGreaterThan(0);

    // A run later in the hour deletes the index rows but lists no R2 prefixes; the hour's first does.
    await runCron({}, new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 10 * 60_000));
    expect(await indexCount(expired)).toBe(0);
    expect((await r2Keys(oldDay)).length).toBeGreaterThan(0);
    await runCron();

    expect(await indexCount(expired)).toBe(0);
    expect(await filterCount(expired)).toBe(0);
    expect(await r2Keys(oldDay)).toEqual([]);
    for (const id of expired) expect((await call(`/v1/chat/completions/${id}`, { key })).status).toBe(404);
    expect(await Promise.all(kept.map((id) => whole(key, id)))).toEqual(keptBefore);
    expect(await filterCount(kept)).toBe(2);
    expect(await whole(otherKey, other)).toEqual(otherBefore);
  });

  it("never deletes a message a kept completion references: a history first seen on an expired day is stored again under the day that re-sends it", async () => {
    const history = [{ role: "system", content: "S".repeat(3_000) }, { role: "user", content: "U".repeat(3_000) }];
    const first = await store(key, "turn 1", history);
    await age([first], 31);
    // Re-sends the first request's messages (found by their hash), the next day's way.
    const second = await store(key, "turn 2", [...history, { role: "user", content: "turn 1" }, { role: "assistant", content: "turn 1" }]);
    const before = await whole(key, second);
    expect(before.messages.map((m: { content: string }) => m.content)).toEqual(["S".repeat(3_000), "U".repeat(3_000), "turn 1", "turn 1", "turn 2"]);
    await runCron();
    expect((await call(`/v1/chat/completions/${first}`, { key })).status).toBe(404);
    expect(await whole(key, second)).toEqual(before);
  });

  it("keeps everything when STORE_RETENTION_DAYS is 0", async () => {
    const id = await store(key, "forever");
    await age([id], 3_650);
    await runCron({ STORE_RETENTION_DAYS: "0" });
    expect((await call(`/v1/chat/completions/${id}`, { key })).status).toBe(200);
    await runCron({ STORE_RETENTION_DAYS: "3651" });
    expect((await call(`/v1/chat/completions/${id}`, { key })).status).toBe(200);
    await runCron({ STORE_RETENTION_DAYS: "3649" });
    expect(await indexCount([id])).toBe(0);
  });

  it("works off 100,000 expired completions over several runs, every statement within D1's limits", async () => {
    const { teamId: big } = await createTeamWithKey();
    const { key: freshKey } = await createTeamWithKey();
    const tid = await tidOf(big);
    const old = Date.now() - 40 * DAY_MS;
    await env.DB.prepare(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < 99999)
       insert into completion_index (tid, id, created, model, meta, at, conv, up, msgs, bytes, loc)
       select ?, printf('old%06d', i), 1000, 'm', '{"k":"v"}', ? + i, null, null, 1, 0, 1 from n`,
    )
      .bind(tid, old)
      .run();
    await env.DB.prepare(`insert into completion_filters (tid, k, v, created, id) select tid, 'k', 'v', created, id from completion_index where tid = ?`).bind(tid).run();
    const keptId = await store(freshKey, "stays");
    const keptBefore = await whole(freshKey, keptId);
    const remaining = async () => (await env.DB.prepare("select count(*) as n from completion_index where tid = ?").bind(tid).first<number>("n"))!;
    expect(await remaining()).toBe(100_000);

    // A body of that expired day: it goes with its day's prefix, but never while rows of the backlog still point at bodies.
    const oldBody = `t/${tid}/${dayOf(old)}/c/old-body`;
    await env.BODIES.put(oldBody, "{}");

    let runs = 0;
    const { db, statements } = recordingD1();
    while ((await remaining()) > 0) {
      if (++runs > 50) throw new Error("the purge does not progress");
      await runCron({ DB: db });
      if (runs === 1) expect(await env.BODIES.head(oldBody)).not.toBeNull();
    }
    await runCron({ DB: db });
    expect(await env.BODIES.head(oldBody)).toBeNull();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(statement.params).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    // Each run stopped at its bound: 20 batches of 500.
    expect(runs).toBe(Math.ceil(100_000 / 10_000));
    expect(await env.DB.prepare("select count(*) as n from completion_filters where tid = ?").bind(tid).first("n")).toBe(0);
    expect(await whole(freshKey, keptId)).toEqual(keptBefore);
  }, 120_000);
});

describe("STORE_RETENTION_DAYS that is not a whole number of days", () => {
  it.each(["-1", "abc", "1.5", "30d"])("answers a request with a 500 gateway_misconfigured naming it (%s), and the cron purges nothing", async (value) => {
    const { key } = await createTeamWithKey();
    const id = await store(key, "kept");
    await age([id], 400);
    const logs: string[] = [];
    track(vi.spyOn(console, "error")).mockImplementation((...args) => void logs.push(args.join(" ")));
    const res = await call("/v1/chat/completions?limit=1", { key, env: { STORE_RETENTION_DAYS: value } });
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body.error).toMatchObject({ type: "server_error", code: "gateway_misconfigured" });
    expect(body.error.message).toContain("STORE_RETENTION_DAYS");
    await runCron({ STORE_RETENTION_DAYS: value });
    expect(await indexCount([id])).toBe(1);
    expect(logs.some((line) => line.includes("STORE_RETENTION_DAYS"))).toBe(true);
  });
});
