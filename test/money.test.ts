import { applyD1Migrations, env, runInDurableObject } from "cloudflare:test";
import { getTableColumns } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { usageEvents } from "../src/db/schema";
import { UsageRepository } from "../src/db/usage";
import { TeamLimiter } from "../src/limits/team-limiter";
import type { UsageEvent } from "../src/db/types";
import { buildUsageEvent, deliveredUsageEvent } from "../src/usage/event";
import type { RequestFinished } from "../src/usage/types";
import { ADMIN_TOKEN, call, createTeamWithKey, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { deliver } from "./helpers/usage";

// Money is integer nano-dollars from the price to the API's answer: sums are exact.

const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
const today = now - (now % DAY);

/** One request of "tenth-micro" with one input token: exactly $0.0000001. */
const PRICES = { "tenth-micro": { input_per_mtok: 0.1, cached_input_per_mtok: 0.1, output_per_mtok: 0 } };
const request = (teamId: string, keyId: string): RequestFinished => ({
  teamId,
  keyId,
  endpoint: "/v1/chat/completions",
  upstream: "default",
  model: "tenth-micro",
  status: 200,
  usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 },
  requested: null,
  latencyMs: 1,
  startedAt: now * 1000,
});

describe("money is exact", () => {
  it("adds 1,000,000 requests of $0.0000001 to exactly $0.1, in the rollups, the costs API and the team's spend", async () => {
    const { teamId, keyId } = await createTeamWithKey();
    const repo = new UsageRepository(createDb(env.DB));
    const template = buildUsageEvent(request(teamId, keyId), PRICES, undefined, `template-${teamId}`);
    // The template row is written under a deleted team, so that the rollups never count it.
    const parked = `parked-${teamId}`;
    await env.DB.prepare("INSERT INTO teams (id, name, created_at, deleted_at) VALUES (?, 'parked', 0, 1)").bind(parked).run();
    await repo.record([{ ...template, teamId: parked }], `template-batch-${teamId}`);

    // Ten consumer runs of 100,000 requests each. All but one event of a run are cloned from the
    // template inside SQLite (whatever the columns are), the last goes through record(), which adds
    // every event of its run to the rollups: the path the queue consumer takes, 100,000 at a time.
    const columns = Object.values(getTableColumns(usageEvents)).map((column) => column.name);
    const RUNS = 10;
    const PER_RUN = 100_000;
    for (let run = 0; run < RUNS; run++) {
      const batchId = `money-${teamId}-${run}`;
      const chosen = columns.map((name) => (name === "id" ? `'${batchId}-' || seq.i` : name === "batch_id" ? `'${batchId}'` : name === "team_id" ? `'${teamId}'` : `e.${name}`));
      await env.DB.prepare(
        `INSERT INTO usage_events (${columns.join(", ")})
         WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${PER_RUN - 1})
         SELECT ${chosen.join(", ")} FROM usage_events AS e, seq WHERE e.id = ?`,
      )
        .bind(template.id)
        .run();
      await repo.record([{ ...template, id: `${batchId}-last` }], batchId);
    }

    const q = `start_time=${today}&end_time=${today + DAY}&project_ids=${teamId}`;
    const usage = await json(await call(`/v1/organization/usage/completions?${q}`, { key: ADMIN_TOKEN }));
    expect(usage.data[0].results[0]).toMatchObject({ num_model_requests: RUNS * PER_RUN, input_tokens: RUNS * PER_RUN });

    const costs = await json(await call(`/v1/organization/costs?${q}`, { key: ADMIN_TOKEN }));
    expect(costs.data[0].results).toHaveLength(1);
    expect(costs.data[0].results[0].amount).toEqual({ value: 0.1, currency: "usd" });
    const items = await json(await call(`/v1/organization/costs?${q}&group_by=line_item`, { key: ADMIN_TOKEN }));
    const input = items.data[0].results.find((r: any) => r.line_item === "tenth-micro, input");
    expect(input).toMatchObject({ amount: { value: 0.1, currency: "usd" }, quantity: 1_000_000, quantity_unit: "tokens" });

    expect((await json(await call(`/admin/teams/${teamId}`, { key: ADMIN_TOKEN }))).spend_usd).toBe(0.1);
    const stored = await env.DB.prepare("SELECT input_cost_nano_usd AS nanos, typeof(input_cost_nano_usd) AS type FROM usage_rollups WHERE team_id = ? AND width = 86400").bind(teamId).first();
    expect(stored).toEqual({ nanos: 100_000_000, type: "integer" });
  }, 120_000);

  it("admits a request that brings a budget to exactly its limit, and none after it", async () => {
    // One output token costs exactly $0.1 and input is free: three requests spend exactly $0.30.
    const prices = JSON.stringify({ "dime-model": { input_per_mtok: 0, output_per_mtok: 100_000 } });
    const team = await json(await call("/admin/teams", { key: ADMIN_TOKEN, body: { name: "dimes", max_budget_usd: 0.3 } }));
    const { key } = await json(await call(`/admin/teams/${team.id}/keys`, { key: ADMIN_TOKEN, body: {} }));
    const upstream = mockUpstream(() => jsonResponse(completionFixture({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call("/v1/chat/completions", { key, env: { PRICES: prices }, body: { model: "dime-model", max_tokens: 1, messages: [{ role: "user", content: "x" }] } });
      statuses.push(res.status);
    }
    upstream.spy.mockRestore();
    expect(statuses).toEqual([200, 200, 200, 429]);
    const stub = env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(team.id));
    const spend = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ nano_usd: number }>("SELECT nano_usd FROM spend WHERE scope = 'team'").toArray()[0]);
    expect(spend).toEqual({ nano_usd: 300_000_000 });
  });

  it("stores budgets as integer nano-dollars and shows them as the dollars that were set", async () => {
    const team = await json(await call("/admin/teams", { key: ADMIN_TOKEN, body: { name: "budget", max_budget_usd: 0.000000123 } }));
    expect(team.max_budget_usd).toBe(0.000000123);
    const row = await env.DB.prepare("SELECT max_budget_nano_usd AS nanos, typeof(max_budget_nano_usd) AS type FROM teams WHERE id = ?").bind(team.id).first();
    expect(row).toEqual({ nanos: 123, type: "integer" });
    const tooLarge = await call(`/admin/teams/${team.id}`, { key: ADMIN_TOKEN, method: "PATCH", body: { max_budget_usd: 10_000_000 } });
    expect(tooLarge.status).toBe(400);
    expect((await json(tooLarge)).error.param).toBe("max_budget_usd");
  });

  it("never stores money as REAL in D1", async () => {
    // D1's own tables (_cf_*) may not be read.
    const columns = await env.DB.prepare(
      "SELECT m.name AS tbl, p.name AS col, p.type AS type FROM sqlite_master AS m, pragma_table_info(m.name) AS p WHERE m.type = 'table' AND m.name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
    ).all<{ tbl: string; col: string; type: string }>();
    expect(columns.results.map((c) => c.tbl)).toContain("usage_rollups");
    const money = columns.results.filter((c) => /usd|cost|spend/.test(c.col));
    expect(money.length).toBeGreaterThanOrEqual(10);
    expect(money.filter((c) => c.type.toLowerCase() !== "integer").map((c) => `${c.tbl}.${c.col} ${c.type}`)).toEqual([]);
    expect(columns.results.filter((c) => c.type.toLowerCase() === "real").map((c) => `${c.tbl}.${c.col}`)).toEqual([]);
  });

  it("converts a team's Durable Object kept from when its spend was REAL dollars, reservations included", async () => {
    const stub = env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(`from-dollars-${crypto.randomUUID()}`));
    const rows = await runInDurableObject(stub, (_, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE spend; DROP TABLE reservations; DROP TABLE charged_reservations");
      sql.exec("CREATE TABLE spend (scope TEXT NOT NULL, period_start INTEGER NOT NULL, usd REAL NOT NULL, PRIMARY KEY (scope, period_start))");
      sql.exec("CREATE TABLE reservations (id TEXT PRIMARY KEY, scopes TEXT NOT NULL, window_start INTEGER NOT NULL, created_ms INTEGER NOT NULL, tokens INTEGER NOT NULL, usd REAL NOT NULL)");
      sql.exec("CREATE TABLE charged_reservations (id TEXT PRIMARY KEY, scopes TEXT NOT NULL, window_start INTEGER NOT NULL, created_ms INTEGER NOT NULL, tokens INTEGER NOT NULL, usd REAL NOT NULL)");
      sql.exec("INSERT INTO spend VALUES ('team', 0, 0.30000000000000004)");
      sql.exec("INSERT INTO reservations VALUES ('r1', '[]', 0, 0, 10, 0.0000001)");
      sql.exec("INSERT INTO charged_reservations VALUES ('r2', '[]', 0, 0, 10, 2.5)");
      // The object as the runtime makes it after a deploy, on the storage it left.
      new TeamLimiter(state, env);
      return ["spend", "reservations", "charged_reservations"].map((table) => sql.exec(`SELECT nano_usd, typeof(nano_usd) AS type FROM ${table}`).toArray()[0]);
    });
    expect(rows).toEqual([
      { nano_usd: 300_000_000, type: "integer" },
      { nano_usd: 100, type: "integer" },
      { nano_usd: 2_500_000_000, type: "integer" },
    ]);
  });

  it("counts a usage event queued in dollars before costs were nano-dollars, exactly once", async () => {
    const { teamId, keyId } = await createTeamWithKey();
    const current = buildUsageEvent(request(teamId, keyId), PRICES);
    const { inputCostNanoUsd: _a, cachedInputCostNanoUsd: _b, outputCostNanoUsd: _c, unitsCostNanoUsd: _d, units: _e, size: _f, ...rest } = current;
    const queued = { ...rest, inputCostUsd: 0.25, cachedInputCostUsd: 0, outputCostUsd: 0.5 } as unknown as UsageEvent;
    expect(deliveredUsageEvent(queued)).toMatchObject({ inputCostNanoUsd: 250_000_000, outputCostNanoUsd: 500_000_000, units: 0, size: "" });
    const result = await deliver([{ kind: "usage", event: queued }]);
    expect(result.explicitAcks).toHaveLength(1);
    const q = `start_time=${today}&end_time=${today + DAY}&project_ids=${teamId}`;
    expect((await json(await call(`/v1/organization/costs?${q}`, { key: ADMIN_TOKEN }))).data[0].results[0].amount.value).toBe(0.75);
  });
});

describe("the nano-dollar migration", () => {
  it("converts the dollars already stored: budgets, usage events and rollups, to the nearest nano-dollar", async () => {
    const db = env.MIGRATION_DB;
    const before = env.TEST_MIGRATIONS.filter((m) => m.name < "0005");
    const money = env.TEST_MIGRATIONS.filter((m) => m.name.startsWith("0005"));
    expect(money).toHaveLength(1);
    await applyD1Migrations(db, before);
    await db.batch([
      db.prepare("INSERT INTO teams (id, name, created_at, max_budget_usd) VALUES ('t1', 'one', 0, 12.5), ('t2', 'two', 0, NULL)"),
      db.prepare("INSERT INTO api_keys (id, team_id, key_hash, prefix, created_at, max_budget_usd) VALUES ('k1', 't1', 'h', 'p', 0, 0.30000000000000004)"),
      db.prepare(
        `INSERT INTO usage_events (id, team_id, batch_id, key_id, kind, model, upstream, started_at, input_tokens, cached_input_tokens, output_tokens,
           unknown_usage, priced, input_cost_usd, cached_input_cost_usd, output_cost_usd) VALUES ('e1', 't1', 'b', 'k1', 'completions', 'm', 'u', 0, 1, 0, 1, 0, 1, 0.0000001, 0, 0.0000025)`,
      ),
      db.prepare(
        `INSERT INTO usage_rollups (team_id, width, bucket_start, kind, key_id, model, upstream, requests, input_tokens, cached_input_tokens, output_tokens,
           unknown_usage_requests, unpriced_requests, input_cost_usd, cached_input_cost_usd, output_cost_usd) VALUES ('t1', 86400, 0, 'completions', 'k1', 'm', 'u', 3, 3, 0, 3, 0, 0, 0.09999999999999999, 0.1, 2.4999999999)`,
      ),
    ]);
    await applyD1Migrations(db, money);
    expect((await db.prepare("SELECT id, max_budget_nano_usd AS nanos FROM teams ORDER BY id").all()).results).toEqual([
      { id: "t1", nanos: 12_500_000_000 },
      { id: "t2", nanos: null },
    ]);
    expect(await db.prepare("SELECT max_budget_nano_usd AS nanos FROM api_keys").first()).toEqual({ nanos: 300_000_000 });
    expect(await db.prepare("SELECT input_cost_nano_usd AS i, output_cost_nano_usd AS o, units, size FROM usage_events").first()).toEqual({ i: 100, o: 2_500, units: 0, size: "" });
    expect(await db.prepare("SELECT requests, input_cost_nano_usd AS i, cached_input_cost_nano_usd AS c, output_cost_nano_usd AS o, size FROM usage_rollups").first()).toEqual({
      requests: 3,
      i: 100_000_000,
      c: 100_000_000,
      o: 2_500_000_000,
      size: "",
    });
    const columns = await db.prepare("SELECT name FROM pragma_table_info('usage_rollups') WHERE name LIKE '%usd%'").all<{ name: string }>();
    expect(columns.results.map((c) => c.name).sort()).toEqual(["cached_input_cost_nano_usd", "input_cost_nano_usd", "output_cost_nano_usd", "units_cost_nano_usd"]);
  });
});
