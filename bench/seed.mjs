// Seeding the store (D1 index rows, R2 bodies) in the layout of src/completion-store/, through the
// D1 and R2 APIs only (no Node APIs): usable from bench/run.mjs through Miniflare's getD1Database, and from a
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
const SEED_QUESTION = `{"role":"user","content":"Tell me about an order and its delivery."}`;

const encoder = new TextEncoder();
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (text) => hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
// As src/store/bodies.ts stores them: gzip from 1,024 characters of JSON up, plain JSON below.
const encodeBody = async (text) =>
  text.length < 1_024 ? new TextEncoder().encode(text) : new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);

/**
 * Inserts completions n = from … to-1 for a team the way the store keeps them (src/completion-store/):
 * index and filter rows straight into D1, generated inside SQLite (a recursive CTE, `perStatement`
 * rows per statement), and each body into R2 (`bodies`, the BODIES bucket), its one input message in
 * a segment shared by the day. `created` = baseCreated + floor(n / perSecond): many rows share a second.
 */
export async function seedCompletions(d1, { teamId, bodies, from = 0, to, baseCreated, perSecond = 10, idPrefix = "chatcmpl-", perStatement = 5_000, statementsPerBatch = 4, concurrency = 32 }) {
  const tid = Number((await d1.prepare("SELECT store_id FROM team_store WHERE team_id = ?").bind(teamId).first())?.store_id);
  if (!Number.isInteger(tid)) throw new Error(`team ${teamId} is not in the shard map`);
  const rowsSql = `
    WITH RECURSIVE seq(n) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < CAST(?2 AS INTEGER))
    SELECT n,
           ?3 || printf('%08x%06d', (n * 2654435761) % 4294967296, n) AS id,
           CAST(?4 AS INTEGER) + n / CAST(?5 AS INTEGER) AS created,
           CASE WHEN n % 10 = 0 THEN 'gold' WHEN n % 10 < 4 THEN 'silver' WHEN n % 10 < 8 THEN 'bronze' END AS tier
    FROM seq`;
  const indexSql = `
    INSERT INTO completion_index (tid, id, created, model, meta, at, conv, up, msgs, bytes, loc)
    SELECT CAST(?6 AS INTEGER), id, created, '${SEED_MODEL}',
           CASE WHEN tier IS NULL THEN NULL ELSE '{"tier":"' || tier || '","user":"u' || (n % 1000) || '"}' END,
           created * 1000, NULL, 'default', 1, 300, 1
    FROM (${rowsSql})`;
  const filtersSql = `
    INSERT INTO completion_filters (tid, k, v, created, id)
    SELECT CAST(?6 AS INTEGER), 'tier', tier, created, id FROM (${rowsSql}) WHERE tier IS NOT NULL
    UNION ALL
    SELECT CAST(?6 AS INTEGER), 'user', 'u' || (n % 1000), created, id FROM (${rowsSql}) WHERE tier IS NOT NULL`;
  // D1 binds every JS number as a REAL: the SQL casts what must be an integer.
  const statements = [];
  for (let start = from; start < to; start += perStatement) {
    const end = Math.min(to, start + perStatement);
    const common = [start, end, idPrefix, baseCreated, perSecond, tid];
    statements.push(d1.prepare(indexSql).bind(...common));
    statements.push(d1.prepare(filtersSql).bind(...common));
  }
  for (let i = 0; i < statements.length; i += statementsPerBatch) await d1.batch(statements.slice(i, i + statementsPerBatch));

  // R2: the day's segment holding the one (shared) question, then each completion's object.
  const segmentText = `[${SEED_QUESTION}]`;
  const segment = await sha256(segmentText);
  const segmentData = await encodeBody(segmentText);
  const days = new Set();
  let next = from;
  const worker = async () => {
    for (let n = next++; n < to; n = next++) {
      const id = seededCompletionId(n, idPrefix);
      const created = baseCreated + Math.floor(n / perSecond);
      const day = dayOf(created * 1000);
      if (!days.has(day)) {
        days.add(day);
        await bodies.put(`t/${tid}/${day}/m/${segment}`, segmentData);
      }
      const body = {
        id, object: "chat.completion", created, model: SEED_MODEL,
        choices: [{ index: 0, message: { role: "assistant", content: "Echo: seeded question about a product order and its delivery", refusal: null }, finish_reason: "stop", logprobs: null }],
        usage: { prompt_tokens: 15, completion_tokens: 8, total_tokens: 23 }, system_fingerprint: "fp_fake",
      };
      const object = { v: 1, body, upstreamId: null, chain: "", segs: [segment], refs: [0, 0] };
      await bodies.put(`t/${tid}/${day}/c/${id}`, await encodeBody(JSON.stringify(object)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Stored completions of a team (shard 0, where the bench's teams are). */
export async function countCompletions(d1, teamId) {
  const row = await d1.prepare("SELECT count(*) AS n FROM completion_index WHERE tid = (SELECT store_id FROM team_store WHERE team_id = ?)").bind(teamId).first();
  return Number(row?.n ?? 0);
}
