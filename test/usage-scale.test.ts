import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { seedUsageRollups } from "../bench/seed-usage.mjs";
import { createDb } from "../src/db/client";
import { type RollupQuery, UsageRepository } from "../src/db/usage";
import { ADMIN_TOKEN, call, json } from "./helpers/gateway";
import { modelsEmbeddingsUsageErrors } from "./helpers/models-embeddings-usage-spec";

// A month of a busy team: 1,000,000 counted requests over 30 days, 5 keys × 2 models, as rollups.
// The usage API reads 30 day rows per group, never the requests; its speed is measured by the bench.

const teamId = "team_scale";
const keyIds = ["key_s1", "key_s2", "key_s3", "key_s4", "key_s5"];
const models = ["gpt-4o", "gpt-4o-mini"];
const endDay = 1_950_000_000 - (1_950_000_000 % 86_400);
const startDay = endDay - 30 * 86_400;
const repo = new UsageRepository(createDb(env.DB));

beforeAll(async () => {
  await seedUsageRollups(env.DB, { teamId, keyIds, models, endDay, requests: 1_000_000 });
  await seedUsageRollups(env.DB, { teamId: "team_scale_other", keyIds: ["key_o"], models, endDay, requests: 100_000 });
  // Their place in the shard map (shard 0), as team creation records it.
  for (const team of [teamId, "team_scale_other"]) await env.DB.prepare("insert into team_store (team_id, shard) values (?, 0)").bind(team).run();
  await env.DB.prepare("ANALYZE").run();
});

async function plan(query: RollupQuery): Promise<string> {
  const { sql, params } = repo.sumsQuery(query).toSQL();
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return rows.results.map((r) => r.detail).join("\n");
}

describe("the usage API over a month of 1,000,000 requests", () => {
  it("answers 30 daily buckets with the month's exact totals", async () => {
    const res = await call(`/v1/organization/usage/completions?start_time=${startDay}&end_time=${endDay}&limit=31&project_ids=${teamId}`, { key: ADMIN_TOKEN });
    const body = await json(res);
    expect(modelsEmbeddingsUsageErrors("UsageResponse", body)).toEqual([]);
    expect(body.data).toHaveLength(30);
    const requests = body.data.reduce((n: number, b: any) => n + b.results[0].num_model_requests, 0);
    // 1,000,000 / 30 days / 10 groups, rounded per row: 3,333 × 300 rows.
    expect(requests).toBe(3_333 * 300);
    expect(Math.abs(requests - 1_000_000)).toBeLessThan(1_000);
  });

  it.each([
    ["a team", { teamIds: [teamId] }, /SEARCH usage_rollups USING INDEX sqlite_autoindex_usage_rollups_1 \(team_id=\? AND width=\? AND kind=\? AND bucket_start>\? AND bucket_start<\?\)/],
    ["the admin token", { teamIds: null }, /SEARCH usage_rollups USING INDEX usage_rollups_range \(width=\? AND kind=\? AND bucket_start>\? AND bucket_start<\?\)/],
  ])("reads %s's rollups through an index, not a scan", async (_, scope, index) => {
    const text = await plan({ width: 86400, kinds: ["completions"], from: startDay, to: endDay, keyIds: null, models: null, sizes: null, groupBy: [], ...scope });
    expect(text).toMatch(index);
    for (const line of text.split("\n")) if (/^SCAN /.test(line)) expect(line).toMatch(/USING (COVERING )?INDEX/);
  });
});
