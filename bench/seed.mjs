// Seeding D1 with completions in the layout of src/db/completions.ts, through the D1 API only (no
// Node APIs): usable from bench/run.mjs through Miniflare's getD1Database, and from a
// vitest-pool-workers test with env.DB (e.g. to check EXPLAIN QUERY PLAN at scale).

/** The statements of one drizzle-kit migration file. */
export function splitMigration(sql) {
  return sql
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The id of seeded completion `n`: scattered (a multiplicative hash), unique, and computable here. */
export function seededCompletionId(n, prefix = "chatcmpl-") {
  const scattered = (BigInt(n) * 2654435761n) % 4294967296n;
  return `${prefix}${scattered.toString(16).padStart(8, "0")}${String(n).padStart(6, "0")}`;
}

/** Seeded completion `n`'s metadata: 10 % gold, 30 % silver, 40 % bronze, 20 % none. */
export function seededTier(n) {
  const r = n % 10;
  return r === 0 ? "gold" : r < 4 ? "silver" : r < 8 ? "bronze" : null;
}

const SEED_MODEL = "fake-model";
// The stored body, as the gateway stores a fake-upstream answer: chat.completion without metadata.
const BODY_HEAD = `{"id":"`;
const BODY_MID = `","object":"chat.completion","created":`;
const BODY_TAIL =
  `,"model":"${SEED_MODEL}","choices":[{"index":0,"message":{"role":"assistant","content":"Echo: seeded question about a product order and its delivery","refusal":null},` +
  `"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":15,"completion_tokens":8,"total_tokens":23},"system_fingerprint":"fp_fake"}`;

/**
 * Inserts completions n = from … to-1 for a team straight into D1, with their metadata and one
 * input message each, in the layout of src/db/completions.ts. Rows are generated inside SQLite
 * (a recursive CTE), `perStatement` rows per statement, one D1 batch (atomic) per group of
 * statements. `created` = baseCreated + floor(n / perSecond): many rows share a second.
 */
export async function seedCompletions(d1, { teamId, from = 0, to, baseCreated, perSecond = 10, idPrefix = "chatcmpl-", perStatement = 5_000, statementsPerBatch = 3 }) {
  const rowsSql = `
    WITH RECURSIVE seq(n) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < CAST(?2 AS INTEGER))
    SELECT n,
           ?3 || printf('%08x%06d', (n * 2654435761) % 4294967296, n) AS id,
           CAST(?4 AS INTEGER) + n / CAST(?5 AS INTEGER) AS created,
           CASE WHEN n % 10 = 0 THEN 'gold' WHEN n % 10 < 4 THEN 'silver' WHEN n % 10 < 8 THEN 'bronze' END AS tier
    FROM seq`;
  const completionsSql = `
    INSERT INTO completions (team_id, id, created, model, metadata, body, body_parts, message_count, stored_at)
    SELECT ?6, id, created, '${SEED_MODEL}',
           CASE WHEN tier IS NULL THEN '{}' ELSE '{"tier":"' || tier || '","user":"u' || (n % 1000) || '"}' END,
           ?7 || id || ?8 || created || ?9, 0, 1, created * 1000
    FROM (${rowsSql})`;
  const metadataSql = `
    INSERT INTO completion_metadata (team_id, completion_id, key, value, created)
    SELECT ?6, id, 'tier', tier, created FROM (${rowsSql}) WHERE tier IS NOT NULL
    UNION ALL
    SELECT ?6, id, 'user', 'u' || (n % 1000), created FROM (${rowsSql}) WHERE tier IS NOT NULL`;
  const messagesSql = `
    INSERT INTO completion_messages (team_id, completion_id, idx, data, data_parts)
    SELECT ?6, id, 0, '{"role":"user","content":"Tell me about order ' || n || ' and its delivery."}', 0
    FROM (${rowsSql})`;
  // D1 binds every JS number as a REAL: the SQL casts what must be an integer.
  const statements = [];
  for (let start = from; start < to; start += perStatement) {
    const end = Math.min(to, start + perStatement);
    const common = [start, end, idPrefix, baseCreated, perSecond, teamId];
    statements.push(d1.prepare(completionsSql).bind(...common, BODY_HEAD, BODY_MID, BODY_TAIL));
    statements.push(d1.prepare(metadataSql).bind(...common));
    statements.push(d1.prepare(messagesSql).bind(...common));
  }
  for (let i = 0; i < statements.length; i += statementsPerBatch) await d1.batch(statements.slice(i, i + statementsPerBatch));
}

/** Rows in completions for a team. */
export async function countCompletions(d1, teamId) {
  const row = await d1.prepare("SELECT count(*) AS n FROM completions WHERE team_id = ?").bind(teamId).first();
  return Number(row?.n ?? 0);
}

