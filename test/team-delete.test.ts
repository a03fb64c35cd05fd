import { env } from "cloudflare:test";
import { getTableName } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TEAM_TABLES } from "../src/db/team-tables";
import { brokenWritesD1 } from "./helpers/d1-faults";
import { runCron } from "./helpers/cron";
import { ADMIN_TOKEN, call, createTeamWithKey, json } from "./helpers/gateway";
import { capturingQueue, drainQueue } from "./helpers/queue";
import { r2Keys } from "./helpers/store";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";

afterEach(restoreSpies);

const TABLE_NAMES = TEAM_TABLES.map((table) => getTableName(table));

const tids = new Map<string, number>();
/** The team's integer store id, remembered: its shard map row goes with the purge. */
async function tidOf(teamId: string): Promise<number> {
  if (!tids.has(teamId)) tids.set(teamId, (await env.DB.prepare("select store_id from team_store where team_id = ?").bind(teamId).first<number>("store_id"))!);
  return tids.get(teamId)!;
}

/** Every row of a team, table by table, as stored, and its R2 objects. */
async function rowsOf(teamId: string): Promise<Record<string, unknown[]>> {
  const tid = await tidOf(teamId);
  const rows: Record<string, unknown[]> = {
    teams: (await env.DB.prepare("select * from teams where id = ?").bind(teamId).all()).results,
    team_store: (await env.DB.prepare("select * from team_store where team_id = ?").bind(teamId).all()).results,
    completion_index: (await env.DB.prepare("select * from completion_index where tid = ? order by id").bind(tid).all()).results,
    completion_filters: (await env.DB.prepare("select * from completion_filters where tid = ? order by id").bind(tid).all()).results,
    completion_packs: (await env.DB.prepare("select * from completion_packs where tid = ? order by id").bind(tid).all()).results,
    r2: await r2Keys(`t/${tid}/`),
  };
  for (const table of TABLE_NAMES) rows[table] = (await env.DB.prepare(`select * from ${table} where team_id = ? order by rowid`).bind(teamId).all()).results;
  return rows;
}

const rowCount = (rows: Record<string, unknown[]>) => Object.values(rows).reduce((sum, list) => sum + list.length, 0);

async function store(key: string, content: string, bindings: Partial<Cloudflare.Env> = {}): Promise<string> {
  const { spy } = mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }] })));
  const res = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content }], store: true, metadata: { k: "v" } }, env: bindings });
  spy.mockRestore();
  return (await json(res)).id;
}

/** Thousands of stored completions with every kind of row, written directly. */
async function seedMany(teamId: string, count: number): Promise<void> {
  const ids = `with recursive n(i) as (select 0 union all select i + 1 from n where i < ${count - 1})`;
  const statements = [
    `${ids} insert into completions (team_id, id, created, model, metadata, body, body_parts, message_count, stored_at) select ?1, printf('chatcmpl-bulk%06d', i), 1000, 'm', '{"k":"v"}', '{}', 0, 2, ?2 from n`,
    `insert into completion_metadata (team_id, completion_id, key, value, created) select team_id, id, 'k', 'v', created from completions where team_id = ?1`,
    `insert into completion_messages (team_id, completion_id, idx, data, data_parts) select team_id, id, 0, '{"role":"user","content":"x"}', 0 from completions where team_id = ?1`,
    `insert into completion_messages (team_id, completion_id, idx, data, data_parts) select team_id, id, 1, null, 1 from completions where team_id = ?1`,
    `insert into payload_parts (team_id, completion_id, slot, part, data) select team_id, id, 1, 0, '{"role":"user","content":"y"}' from completions where team_id = ?1`,
    `insert into completion_tombstones (team_id, completion_id, deleted_at) select team_id, id || '-gone', ?2 from completions where team_id = ?1 limit 50`,
    `insert into write_spool (team_id, completion_id, piece, pieces, data, spooled_at) values (?1, 'chatcmpl-spooled', 0, 2, '{', ?2)`,
  ];
  for (const statement of statements) await env.DB.prepare(statement).bind(...(statement.includes("?2") ? [teamId, Date.now()] : [teamId])).run();
  // The store's index and filter rows of as many completions.
  const tid = await tidOf(teamId);
  await env.DB.prepare(`${ids} insert into completion_index (tid, id, created, model, meta, at, conv, up, msgs, bytes, loc) select ?1, printf('bulk%06d', i), 1000, 'm', '{"k":"v"}', ?2, null, null, 1, 0, 1 from n`).bind(tid, Date.now()).run();
  await env.DB.prepare(`insert into completion_filters (tid, k, v, created, id) select tid, 'k', 'v', created, id from completion_index where tid = ?1`).bind(tid).run();
  await env.DB.prepare(`insert into completion_packs (tid, created, id, last_created, last_id, at, n, ready) select ?1, 1000, printf('bulk%06d', i * 100), 1000, printf('bulk%06d', i * 100 + 99), ?2, 100, 1 from (${ids} select i from n where i < ${Math.ceil(count / 100)})`).bind(tid, Date.now()).run();
}

const deleteTeam = (teamId: string, bindings: Partial<Cloudflare.Env> = {}) => call(`/admin/teams/${teamId}`, { key: ADMIN_TOKEN, method: "DELETE", env: bindings });

describe("DELETE /admin/teams/{team_id}", () => {
  it("revokes every key of the team at once, and the team is 404 afterwards", async () => {
    const { teamId, key } = await createTeamWithKey();
    const second = await json(await call(`/admin/teams/${teamId}/keys`, { key: ADMIN_TOKEN, body: { name: "second" } }));
    // Both keys work, and are now in this isolate's key cache.
    for (const k of [key, second.key]) expect((await call("/v1/chat/completions", { key: k })).status).toBe(200);
    const { queue } = capturingQueue();

    const res = await deleteTeam(teamId, { BACKGROUND_QUEUE: queue });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ id: teamId, object: "team.deleted", deleted: true });

    for (const k of [key, second.key]) {
      const refused = await call("/v1/chat/completions", { key: k });
      expect(refused.status).toBe(401);
      expect((await json(refused)).error.code).toBe("invalid_api_key");
    }
    expect((await call(`/admin/teams/${teamId}`, { key: ADMIN_TOKEN })).status).toBe(404);
    expect((await call(`/admin/teams/${teamId}/keys`, { key: ADMIN_TOKEN })).status).toBe(404);
    expect((await json(await call("/admin/teams", { key: ADMIN_TOKEN }))).data.map((t: { id: string }) => t.id)).not.toContain(teamId);
    expect((await deleteTeam(teamId, { BACKGROUND_QUEUE: queue })).status).toBe(404);
  });

  it("answers 404 for an unknown team, and 401 without the admin token", async () => {
    expect((await deleteTeam("team_nope")).status).toBe(404);
    const { teamId, key } = await createTeamWithKey();
    expect((await call(`/admin/teams/${teamId}`, { key, method: "DELETE" })).status).toBe(401);
    expect((await call(`/admin/teams/${teamId}`, { key: ADMIN_TOKEN })).status).toBe(200);
  });

  it("deletes thousands of completions in bounded batches in the background until no row is left, and leaves another team byte-for-byte the same", async () => {
    const { teamId, key } = await createTeamWithKey();
    // Usage messages are held, not delivered by the queue: a delivery landing while the purge runs
    // would change the rows compared below for a reason that has nothing to do with the purge.
    const held = { BACKGROUND_QUEUE: capturingQueue().queue };
    await seedMany(teamId, 5_000);
    await store(key, "through the API", held);
    const { teamId: otherTeam, key: otherKey } = await createTeamWithKey();
    await seedMany(otherTeam, 100);
    await store(otherKey, "other team", held);
    const otherBefore = await rowsOf(otherTeam);
    expect(rowCount(await rowsOf(teamId))).toBeGreaterThan(20_000);
    expect((await rowsOf(teamId)).r2.length).toBeGreaterThan(0);

    const { queue, sent } = capturingQueue();
    expect((await deleteTeam(teamId, { BACKGROUND_QUEUE: queue })).status).toBe(200);
    expect(sent.map((s) => s.body)).toEqual([{ kind: "team.purge", teamId }]);
    const { rounds, dead } = await drainQueue(sent, { BACKGROUND_QUEUE: queue });
    expect(dead).toEqual([]);
    // Each message deletes a bounded batch and sends the next.
    expect(rounds).toBeGreaterThan(1);

    const after = await rowsOf(teamId);
    for (const [table, rows] of Object.entries(after)) expect(rows, table).toEqual([]);
    expect(await rowsOf(otherTeam)).toEqual(otherBefore);
  }, 60_000);

  it("is finished by the cron if the queue message was lost", async () => {
    const { teamId, key } = await createTeamWithKey();
    await seedMany(teamId, 5_000);
    await store(key, "x");
    const refusing = { send: async () => { throw new Error("queue unavailable"); } } as unknown as Queue;
    track(vi.spyOn(console, "warn")).mockImplementation(() => {});
    expect((await deleteTeam(teamId, { BACKGROUND_QUEUE: refusing })).status).toBe(200);
    let runs = 0;
    while (rowCount(await rowsOf(teamId)) > 0) {
      if (++runs > 20) throw new Error("the sweep does not progress");
      await runCron();
    }
    expect(runs).toBeGreaterThan(1);
  }, 60_000);

  it("never lets a write still pending for the team land after it is deleted", async () => {
    const { teamId, key } = await createTeamWithKey();
    const { queue, sent } = capturingQueue();
    track(vi.spyOn(console, "warn")).mockImplementation(() => {});
    await store(key, "late", { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue });
    expect(sent).toHaveLength(1);
    expect((await deleteTeam(teamId, { BACKGROUND_QUEUE: queue })).status).toBe(200);
    await drainQueue(sent, { BACKGROUND_QUEUE: queue });
    const after = await rowsOf(teamId);
    for (const [table, rows] of Object.entries(after)) expect(rows, table).toEqual([]);
  });

  it("takes a refused write's R2 objects away again when it lands before the purge", async () => {
    const { teamId, key } = await createTeamWithKey();
    const tid = await tidOf(teamId);
    const { queue, sent } = capturingQueue();
    track(vi.spyOn(console, "warn")).mockImplementation(() => {});
    // The first try put the answer and its messages' segment in R2, then failed in D1.
    await store(key, "refused", { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue });
    expect((await r2Keys(`t/${tid}/`)).length).toBeGreaterThanOrEqual(2);
    expect((await deleteTeam(teamId, { BACKGROUND_QUEUE: queue })).status).toBe(200);
    expect(sent.map((message) => message.body.kind)).toEqual(["store.completion", "team.purge"]);
    // The queued write lands while the purge has not run: refused, it leaves nothing in R2.
    await drainQueue(sent.splice(0, 1), { BACKGROUND_QUEUE: queue });
    expect(await r2Keys(`t/${tid}/`)).toEqual([]);
    await drainQueue(sent, { BACKGROUND_QUEUE: queue });
    const after = await rowsOf(teamId);
    for (const [table, rows] of Object.entries(after)) expect(rows, table).toEqual([]);
  });

  it("keeps no piece of a large write still queued for the team when it is deleted", async () => {
    const { teamId, key } = await createTeamWithKey();
    const { queue, sent } = capturingQueue();
    track(vi.spyOn(console, "warn")).mockImplementation(() => {});
    // Over one queue message: the write is queued in pieces.
    await store(key, "x".repeat(300_000), { DB: brokenWritesD1(), BACKGROUND_QUEUE: queue });
    const pieces = sent.splice(0);
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.every((message) => message.body.kind === "store.completion.piece")).toBe(true);
    // One piece is in before the team goes; the others come after.
    await drainQueue(pieces.slice(0, 1), { BACKGROUND_QUEUE: queue });
    expect((await deleteTeam(teamId, { BACKGROUND_QUEUE: queue })).status).toBe(200);
    await drainQueue(pieces.slice(1, -1), { BACKGROUND_QUEUE: queue });
    // Only the piece from before is there (until the purge): none that came after is kept.
    expect((await rowsOf(teamId)).write_spool.map((row: any) => row.piece)).toEqual([0]);
    await drainQueue([...pieces.slice(-1), ...sent.splice(0)], { BACKGROUND_QUEUE: queue });
    const after = await rowsOf(teamId);
    for (const [table, rows] of Object.entries(after)) expect(rows, table).toEqual([]);
  });
});
