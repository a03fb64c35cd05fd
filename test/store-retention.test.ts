import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { D1_MAX_BOUND_PARAMETERS } from "../src/db/d1-limits";
import { runCron } from "./helpers/cron";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { recordingD1 } from "./helpers/recording-d1";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";

afterEach(restoreSpies);

const DAY_MS = 24 * 3_600_000;
const TABLES = ["completions", "completion_metadata", "completion_messages", "payload_parts"] as const;
const idColumn = (table: string) => (table === "completions" ? "id" : "completion_id");

async function rowsOf(teamId: string): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    rows[table] = (await env.DB.prepare(`select * from ${table} where team_id = ? order by ${idColumn(table)}`).bind(teamId).all()).results;
  }
  return rows;
}

async function store(key: string, content: string): Promise<string> {
  const { spy } = mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }] })));
  const res = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "q" }, { role: "user", content }], store: true, metadata: { k: "v" } } });
  spy.mockRestore();
  return (await json(res)).id;
}

/** Makes completions look stored `days` days ago. */
const age = (ids: string[], days: number) =>
  env.DB.prepare(`update completions set stored_at = ? where id in (${ids.map(() => "?").join(", ")})`).bind(Date.now() - days * DAY_MS, ...ids).run();

describe("the retention purge (cron)", () => {
  let key: string;
  let teamId: string;
  beforeAll(async () => {
    ({ key, teamId } = await createTeamWithKey());
  });

  it("deletes completions older than STORE_RETENTION_DAYS with their metadata, messages and payload parts, and touches nothing else", async () => {
    // One of each kind is large enough that its messages and body are split into payload parts.
    const large = "L".repeat(500_000);
    const expired = [await store(key, "old 1"), await store(key, large)];
    const kept = [await store(key, "new 1"), await store(key, large)];
    await age(expired, 31);
    await age([kept[0]], 29);
    const { key: otherKey, teamId: otherTeam } = await createTeamWithKey();
    await store(otherKey, "other team, fresh");
    const before = await rowsOf(teamId);
    const otherBefore = await rowsOf(otherTeam);
    expect(before.payload_parts.length).toBeGreaterThan(0);

    await runCron();

    const after = await rowsOf(teamId);
    for (const table of TABLES) {
      const column = idColumn(table);
      const expectedRows = before[table].filter((row: any) => !expired.includes(row[column]));
      expect(after[table], table).toEqual(expectedRows);
      expect(after[table].some((row: any) => expired.includes(row[column])), table).toBe(false);
    }
    expect(after.payload_parts.length).toBeGreaterThan(0);
    expect(await rowsOf(otherTeam)).toEqual(otherBefore);
    for (const id of kept) expect((await call(`/v1/chat/completions/${id}`, { key })).status).toBe(200);
  });

  it("keeps everything when STORE_RETENTION_DAYS is 0", async () => {
    const id = await store(key, "forever");
    await age([id], 3_650);
    await runCron({ STORE_RETENTION_DAYS: "0" });
    expect((await call(`/v1/chat/completions/${id}`, { key })).status).toBe(200);
    await runCron({ STORE_RETENTION_DAYS: "3651" });
    expect((await call(`/v1/chat/completions/${id}`, { key })).status).toBe(200);
    await runCron({ STORE_RETENTION_DAYS: "3649" });
    expect(await env.DB.prepare("select count(*) as n from completions where id = ?").bind(id).first("n")).toBe(0);
  });

  it("works off 100,000 expired completions over several runs, every statement within D1's limits", async () => {
    const { teamId: big } = await createTeamWithKey();
    const { key: freshKey, teamId: fresh } = await createTeamWithKey();
    const old = Date.now() - 40 * DAY_MS;
    await env.DB.prepare(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < 99999)
       insert into completions (team_id, id, created, model, metadata, body, body_parts, message_count, stored_at)
       select ?, printf('chatcmpl-old%06d', i), 1000, 'm', '{"k":"v"}', '{}', 0, 1, ? + i from n`,
    )
      .bind(big, old)
      .run();
    await env.DB.prepare(
      `insert into completion_metadata (team_id, completion_id, key, value, created) select team_id, id, 'k', 'v', created from completions where team_id = ?`,
    )
      .bind(big)
      .run();
    const keptId = await store(freshKey, "stays");
    const keptBefore = await rowsOf(fresh);
    const remaining = async () => (await env.DB.prepare("select count(*) as n from completions where team_id = ?").bind(big).first<number>("n"))!;
    expect(await remaining()).toBe(100_000);

    let runs = 0;
    const { db, statements } = recordingD1();
    while ((await remaining()) > 0) {
      if (++runs > 50) throw new Error("the purge does not progress");
      await runCron({ DB: db });
    }
    expect(runs).toBeGreaterThan(1);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(statement.params).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    // The first run stopped at its bound: 20 batches of 500.
    expect(runs).toBe(Math.ceil(100_000 / 10_000));
    expect(await env.DB.prepare("select count(*) as n from completion_metadata where team_id = ?").bind(big).first("n")).toBe(0);
    expect(await rowsOf(fresh)).toEqual(keptBefore);
    expect((await call(`/v1/chat/completions/${keptId}`, { key: freshKey })).status).toBe(200);
  }, 120_000);
});

describe("STORE_RETENTION_DAYS that is not a whole number of days", () => {
  it.each(["-1", "abc", "1.5", "30d"])("answers a request with a 500 gateway_misconfigured naming it (%s), and the cron purges nothing", async (value) => {
    const { key, teamId } = await createTeamWithKey();
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
    expect(await env.DB.prepare("select count(*) as n from completions where team_id = ?").bind(teamId).first("n")).toBe(1);
    expect(logs.some((line) => line.includes("STORE_RETENTION_DAYS"))).toBe(true);
  });
});
