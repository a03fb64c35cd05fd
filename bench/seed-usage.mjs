// Seeding D1 with usage rollups, as the queue consumer (src/db/usage.ts) leaves them after counting
// `requests` requests spread evenly over `days` UTC days: day, hour and minute rows (minute rows only
// for the last 7 days, as the cron keeps them). Through the D1 API only, like seed.mjs: usable from
// bench/run.mjs (Miniflare's getD1Database) and from a vitest-pool-workers test (env.DB).

const WIDTHS = [
  { width: 86_400, keepDays: Infinity },
  { width: 3_600, keepDays: Infinity },
  { width: 60, keepDays: 7 },
];

/**
 * Rollup rows for one team: `keyIds` × `models`, each bucket holding its share of `requests`
 * (15 input, 8 output tokens each, priced at `usdPerRequest`, stored in nano-dollars). Generated inside SQLite (a recursive CTE).
 * Returns the number of requests the rows add up to per width (equal to `requests` up to rounding).
 */
export async function seedUsageRollups(d1, { teamId, keyIds, models, endDay, days = 30, requests = 1_000_000, usdPerRequest = 0.00001 }) {
  const groups = keyIds.length * models.length;
  const firstDay = endDay - days * 86_400;
  for (const { width, keepDays } of WIDTHS) {
    const from = keepDays === Infinity ? firstDay : Math.max(firstDay, endDay - keepDays * 86_400);
    const buckets = (endDay - firstDay) / width;
    const perRow = Math.max(1, Math.round(requests / buckets / groups));
    const statements = [];
    for (const keyId of keyIds) {
      for (const model of models) {
        statements.push(
          d1
            .prepare(
              `INSERT INTO usage_rollups (team_id, width, bucket_start, kind, key_id, model, upstream, requests, input_tokens, cached_input_tokens,
                 output_tokens, unknown_usage_requests, unpriced_requests, input_cost_nano_usd, cached_input_cost_nano_usd, output_cost_nano_usd)
               WITH RECURSIVE seq(t) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT t + CAST(?2 AS INTEGER) FROM seq WHERE t + CAST(?2 AS INTEGER) < CAST(?3 AS INTEGER))
               SELECT ?4, CAST(?2 AS INTEGER), t, 'completions', ?5, ?6, 'default', CAST(?7 AS INTEGER), CAST(?7 AS INTEGER) * 15, 0, CAST(?7 AS INTEGER) * 8, 0, 0,
                 CAST(?7 AS INTEGER) * CAST(?8 AS INTEGER) / 2, 0, CAST(?7 AS INTEGER) * CAST(?8 AS INTEGER) / 2 FROM seq`,
            )
            .bind(from, width, endDay, teamId, keyId, model, perRow, Math.round(usdPerRequest * 1e9)),
        );
      }
    }
    await d1.batch(statements);
  }
}
