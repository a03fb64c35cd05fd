import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { CompletionsRepository, type ListCompletionsQuery } from "../src/db/completions";

// Every list query must walk an index already in list order: no table scan, no sort of the
// team's rows. (The benchmark measures the same at 100,000 rows.)

const repo = new CompletionsRepository(createDb(env.DB));
const teamId = "team_plan";

beforeAll(async () => {
  // Some rows for two teams so the planner sees a populated table, then ANALYZE as D1 would have.
  for (const [team, count] of [[teamId, 300], ["team_other", 300]] as const) {
    // Writes only land for a live team.
    await env.DB.prepare("insert into teams (id, name, created_at) values (?, ?, 0)").bind(team, team).run();
    for (let i = 0; i < count; i += 20) {
      await repo.insertMany([{
        teamId: team,
        id: `chatcmpl-plan-${i}`,
        created: 1000 + Math.floor(i / 7),
        model: i % 3 ? "gpt-a" : "gpt-b",
        metadata: i % 2 ? { env: "prod", tier: "gold" } : { env: "dev" },
        body: { id: `chatcmpl-plan-${i}`, object: "chat.completion", created: 1000, model: "gpt-a", choices: [] },
        messages: [JSON.stringify({ role: "user", content: "x" })],
        storedAt: 0,
        upstreamId: null,
        upstream: null,
      }]);
    }
  }
});

async function plan(query: ListCompletionsQuery): Promise<string[]> {
  const { sql, params } = repo.listQuery(query).toSQL();
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return rows.results.map((r) => r.detail);
}

const base = { teamId, limit: 20 } as const;

describe("list query plans", () => {
  it.each([
    ["no filter, asc", { ...base, order: "asc" }, "completions_team_created"],
    ["no filter, desc, after", { ...base, order: "desc", after: "chatcmpl-plan-40" }, "completions_team_created"],
    ["model filter", { ...base, order: "asc", model: "gpt-a" }, "completions_team_model_created"],
    ["model filter, after", { ...base, order: "desc", model: "gpt-a", after: "chatcmpl-plan-40" }, "completions_team_model_created"],
    ["one metadata pair", { ...base, order: "asc", metadata: [["env", "prod"]] }, "completion_metadata_filter"],
    ["two metadata pairs, after", { ...base, order: "desc", metadata: [["env", "prod"], ["tier", "gold"]], after: "chatcmpl-plan-40" }, "completion_metadata_filter"],
    ["metadata and model", { ...base, order: "asc", model: "gpt-a", metadata: [["env", "prod"]] }, "completion_metadata_filter"],
  ] as [string, ListCompletionsQuery, string][])("%s: walks its index in order, without a scan or a sort", async (_, query, index) => {
    const details = await plan(query);
    const text = details.join("\n");
    expect(text).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}\\b`));
    expect(text).not.toMatch(/TEMP B-TREE/);
    for (const line of details) {
      // A bare "SCAN <table>" reads every row; the walk of a covering/ordered index is "SCAN … USING INDEX".
      if (/^SCAN /.test(line)) expect(line).toMatch(/USING (COVERING )?INDEX/);
    }
  });
});
