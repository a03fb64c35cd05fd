import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { CompletionIndex, type IndexListQuery, PRESENT_IDS_SQL } from "../src/db/completion-index";
import { RECORD_OUTCOMES_SQL, UpstreamStatsRepository } from "../src/db/upstream-stats";

// Every list query must walk an index already in list order: no table scan, no sort of the
// team's rows. (The benchmark measures the same at 100,000 rows.)

const index = new CompletionIndex(createDb(env.DB));
const tid = 901;

beforeAll(async () => {
  // Some rows for two teams so the planner sees a populated table, then ANALYZE as D1 would have.
  for (const team of [tid, 902]) {
    await env.DB.prepare(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < 299)
       insert into completion_index (tid, id, created, model, meta, at, conv, up, msgs, bytes, loc)
       select ?1, printf('plan-%03d', i), 1000 + i / 7, case when i % 3 then 'gpt-a' else 'gpt-b' end,
         case when i % 2 then '{"env":"prod","tier":"gold"}' else '{"env":"dev"}' end, 0, i, null, 1, 0, 1 from n`,
    )
      .bind(team)
      .run();
    await env.DB.prepare(`insert into completion_filters (tid, k, v, created, id) select c.tid, j.key, j.value, c.created, c.id from completion_index c, json_each(c.meta) j where c.tid = ?`)
      .bind(team)
      .run();
  }
});

async function plan(query: IndexListQuery): Promise<string[]> {
  const { sql, params } = index.listQuery(query).toSQL();
  const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return rows.results.map((r) => r.detail);
}

const base = { tid, limit: 20 } as const;

describe("list query plans", () => {
  it.each([
    ["no filter, asc", { ...base, order: "asc" }, "completion_index_created"],
    ["no filter, desc, after", { ...base, order: "desc", after: "plan-040" }, "completion_index_created"],
    ["model filter", { ...base, order: "asc", model: "gpt-a" }, "completion_index_model"],
    ["model filter, after", { ...base, order: "desc", model: "gpt-a", after: "plan-040" }, "completion_index_model"],
    ["one metadata pair", { ...base, order: "asc", metadata: [["env", "prod"]] }, "sqlite_autoindex_completion_filters_1"],
    ["two metadata pairs, after", { ...base, order: "desc", metadata: [["env", "prod"], ["tier", "gold"]], after: "plan-040" }, "sqlite_autoindex_completion_filters_1"],
    ["metadata and model", { ...base, order: "asc", model: "gpt-a", metadata: [["env", "prod"]] }, "sqlite_autoindex_completion_filters_1"],
  ] as [string, IndexListQuery, string][])("%s: walks its index in order, without a scan or a sort", async (_, query, name) => {
    const details = await plan(query);
    const text = details.join("\n");
    expect(text).toMatch(new RegExp(`USING (COVERING |PRIMARY KEY|INDEX )?(INDEX )?${name}\\b|USING PRIMARY KEY`));
    expect(text).not.toMatch(/TEMP B-TREE/);
    // Each row's pack is one descent of the packs' key, within the row's team.
    expect(text).toMatch(/SEARCH p USING PRIMARY KEY \(tid=\? AND created<\?\)/);
    for (const line of details) {
      // A bare "SCAN <table>" reads every row; the walk of an ordered index or key is "SCAN … USING …".
      if (/^SCAN /.test(line)) expect(line).toMatch(/USING (COVERING )?INDEX|USING PRIMARY KEY/);
    }
  });
});

describe("the packer's check of which completions are still there", () => {
  it("looks each id up by its key, never walking the team's index", async () => {
    expect([...(await index.presentIds(tid, ["plan-001", "gone", "plan-002"]))]).toEqual(["plan-001", "plan-002"]);
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${PRESENT_IDS_SQL}`)
      .bind(tid, JSON.stringify(["plan-001"]))
      .all<{ detail: string }>();
    const plan = results.map((r) => r.detail).join("\n");
    expect(plan).toMatch(/SEARCH c USING (COVERING INDEX|PRIMARY KEY)[^\n]*\(tid=\? AND id=\?\)/);
    expect(plan).not.toMatch(/SCAN c\b/);
  });
});

describe("the lookup of an earlier completion a request extends", () => {
  it("reads one row per hash, however many completions share it", async () => {
    const shared = 903;
    const day = 86_400_000 * 20_000;
    // 300 completions of one day with the same messages (the same hash 77), one the day before.
    await env.DB.prepare(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < 299)
       insert into completion_index (tid, id, created, model, meta, at, conv, up, msgs, bytes, loc)
       select ?1, printf('same-%03d', i), 1000 + i, 'gpt-a', null, ?2 + i * 1000, 77, null, 2, 0, 1 from n`,
    )
      .bind(shared, day)
      .run();
    await env.DB.prepare(`insert into completion_index (tid, id, created, model, meta, at, conv, up, msgs, bytes, loc) values (?1, 'same-old', 1, 'gpt-a', null, ?2, 78, null, 2, 0, 1)`)
      .bind(shared, day - 1000)
      .run();
    const query = index.latestByConvQuery(shared, [77, 78, 79], day, day + 86_400_000, "same-299");
    const { results, meta } = await query.all<{ id: string | null; conv: number }>();
    // The latest of the day but the one being written; nothing of another day.
    expect(results).toEqual([
      { conv: 77, id: "same-298" },
      { conv: 78, id: null },
      { conv: 79, id: null },
    ]);
    // The three hashes, and a row or two each: never the 300 that share one.
    expect(meta.rows_read).toBeLessThanOrEqual(10);
  });
});

describe("upstream outcome query plans", () => {
  const explain = async (sql: string, params: unknown[]) => (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);
  const tuples = JSON.stringify([["id-1", "team-1", "alpha", 1000, 0, 0, 30, 1]]);

  it("recording finds a known outcome by its key: no scan of upstream_events (`e`), no other index of it", async () => {
    // The rollups (one per width) read which outcomes are new; the last statement records their ids.
    for (const sql of RECORD_OUTCOMES_SQL.slice(0, -1)) {
      const details = await explain(sql, [tuples]);
      expect(details).toContain("SEARCH e USING PRIMARY KEY (started_at=? AND id=?)");
      expect(details.filter((line) => / e\b/.test(line))).toEqual(["SEARCH e USING PRIMARY KEY (started_at=? AND id=?)"]);
    }
  });

  it("the purge of old outcome ids is a range of the key, not a scan", async () => {
    const [events] = new UpstreamStatsRepository(createDb(env.DB)).purgeStatements(1_000_000);
    const { sql, params } = events.toSQL();
    const details = await explain(sql, params);
    expect(details.join("\n")).toMatch(/SEARCH upstream_events USING PRIMARY KEY \(started_at<\?\)/);
  });
});
