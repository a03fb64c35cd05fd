import { and, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { ROLLUP_WIDTHS, type RollupWidth } from "./usage";

// How each upstream fares: requests, errors, fallbacks and a latency histogram, per minute, hour and
// day. Each outcome counts once per id: a consumer run adds to the rollups only the outcomes whose id
// is not recorded yet, then records the ids, in the same D1 batch. Only the rollups keep what an
// outcome says; an outcome's own row is its id and time (the dedupe guard, kept a few days), one
// WITHOUT ROWID b-tree and no other index, so a request's outcome costs D1 little more than its id.
// The tables are created by hand (migrations/0008_upstream_stats.sql, 0012_upstream_events_ids.sql)
// and kept out of schema.ts, as console-sessions.ts is.

/** Upper bounds (ms) of the latency histogram's buckets; the last is open-ended. Doubling from 25 ms. */
export const LATENCY_BOUNDS_MS = Array.from({ length: 15 }, (_, i) => 25 * 2 ** i);
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

export const latencyBucket = (ms: number): number => {
  const at = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
  return at === -1 ? LATENCY_BOUNDS_MS.length : at;
};

/** One proxied request that reached an upstream. */
export interface UpstreamOutcome {
  /** Unique per request: a redelivered message is counted once. */
  id: string;
  teamId: string;
  upstream: string;
  /** Unix seconds. */
  startedAt: number;
  /** The answer was an error (status ≥ 400), or none came. */
  failed: boolean;
  /** Answered by an upstream other than the model's first. */
  fellBack: boolean;
  latencyMs: number;
}

/**
 * The outcomes recorded so far, by (started_at, id): a redelivered message carries both unchanged.
 * Keyed by time first, so that the purge of old ones is a range of the key. It names no team.
 */
export const upstreamEvents = sqliteTable(
  "upstream_events",
  {
    startedAt: integer("started_at").notNull(),
    id: text("id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.startedAt, t.id] })],
);

const histogramColumns = Object.fromEntries(Array.from({ length: LATENCY_BUCKETS }, (_, i) => [`latency${i}`, integer(`latency_${i}`).notNull()])) as Record<
  `latency${number}`,
  ReturnType<typeof integer>
>;

export const upstreamRollups = sqliteTable(
  "upstream_rollups",
  {
    teamId: text("team_id").notNull(),
    width: integer("width").notNull(),
    bucketStart: integer("bucket_start").notNull(),
    upstream: text("upstream").notNull(),
    requests: integer("requests").notNull(),
    errors: integer("errors").notNull(),
    fallbacks: integer("fallbacks").notNull(),
    latencyMsSum: integer("latency_ms_sum").notNull(),
    ...histogramColumns,
  },
  (t) => [primaryKey({ columns: [t.teamId, t.width, t.bucketStart, t.upstream] }), index("upstream_rollups_range").on(t.width, t.bucketStart)],
);

const HISTOGRAM = Array.from({ length: LATENCY_BUCKETS }, (_, i) => `latency_${i}`);

/** One outcome as the statements read it from their JSON parameter: [id, team, upstream, started_at, failed, fell_back, latency_ms, latency_bucket]. */
type OutcomeTuple = [string, string, string, number, 0 | 1, 0 | 1, number, number];

/**
 * Adds the outcomes of `?1` (a JSON array of OutcomeTuple) that are not recorded yet to the rollups
 * of one width; a deleted team's add nothing.
 */
function rollupSql(width: RollupWidth): string {
  const sums = ["requests", "errors", "fallbacks", "latency_ms_sum", ...HISTOGRAM];
  return `insert into upstream_rollups (team_id, width, bucket_start, upstream, ${sums.join(", ")})
select team_id, ${width}, (started_at / ${width}) * ${width}, upstream, count(*), sum(failed), sum(fell_back), sum(latency_ms),
  ${HISTOGRAM.map((_, i) => `sum(latency_bucket = ${i})`).join(", ")}
from (select j.value ->> 0 as id, j.value ->> 1 as team_id, j.value ->> 2 as upstream, j.value ->> 3 as started_at,
        j.value ->> 4 as failed, j.value ->> 5 as fell_back, j.value ->> 6 as latency_ms, j.value ->> 7 as latency_bucket
      from json_each(?1) j) o
where not exists (select 1 from upstream_events e where e.started_at = o.started_at and e.id = o.id)
  and exists (select 1 from teams t where t.id = o.team_id and t.deleted_at is null)
group by 1, 2, 3, 4
on conflict (team_id, width, bucket_start, upstream) do update set ${sums.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;
}

const ROLLUP_SQL = ROLLUP_WIDTHS.map(rollupSql);
/** Records the ids of `?1`, after the rollups have read which are new. */
const EVENT_SQL = "insert into upstream_events (started_at, id) select j.value ->> 3, j.value ->> 0 from json_each(?1) j where true on conflict do nothing";
/** The statements that record a delivery's outcomes (`?1`), in their order; exposed so tests can check their query plans. */
export const RECORD_OUTCOMES_SQL = [...ROLLUP_SQL, EVENT_SQL];

export interface UpstreamQuery {
  width: RollupWidth;
  from: number;
  to: number;
  /** null: every team (the admin). */
  teamIds: string[] | null;
}

export interface UpstreamSums {
  bucketStart: number;
  upstream: string;
  requests: number;
  errors: number;
  fallbacks: number;
  latencyMsSum: number;
  histogram: number[];
}

export class UpstreamStatsRepository {
  constructor(private readonly db: Db) {}

  /** Adds the outcomes not recorded yet to every rollup and records them, atomically. Already-known ids add nothing. */
  async record(outcomes: UpstreamOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    // One tuple per id: the same message twice in one delivery counts once.
    const byId = new Map<string, OutcomeTuple>();
    for (const o of outcomes) {
      byId.set(o.id, [o.id, o.teamId, o.upstream, o.startedAt, o.failed ? 1 : 0, o.fellBack ? 1 : 0, Math.round(o.latencyMs), latencyBucket(o.latencyMs)]);
    }
    const tuples = JSON.stringify([...byId.values()]);
    const d1 = this.db.$client;
    // Rollups first: each reads which ids are new before EVENT_SQL records them (one transaction).
    await d1.batch(RECORD_OUTCOMES_SQL.map((text) => d1.prepare(text).bind(tuples)));
  }

  /** Sums per bucket and upstream, from the rollups of one width. */
  async sums(query: UpstreamQuery): Promise<UpstreamSums[]> {
    const r = upstreamRollups;
    const filters: SQL[] = [eq(r.width, query.width), gte(r.bucketStart, query.from), lt(r.bucketStart, query.to)];
    if (query.teamIds) filters.push(inArray(r.teamId, query.teamIds));
    const histogram = HISTOGRAM.map((column) => sql<number>`sum(${sql.raw(column)})`.mapWith(Number));
    const rows = await this.db
      .select({
        bucketStart: r.bucketStart,
        upstream: r.upstream,
        requests: sql<number>`sum(${r.requests})`.mapWith(Number),
        errors: sql<number>`sum(${r.errors})`.mapWith(Number),
        fallbacks: sql<number>`sum(${r.fallbacks})`.mapWith(Number),
        latencyMsSum: sql<number>`sum(${r.latencyMsSum})`.mapWith(Number),
        ...Object.fromEntries(histogram.map((column, i) => [`h${i}`, column])),
      })
      .from(r)
      .where(and(...filters))
      .groupBy(r.bucketStart, r.upstream)
      .orderBy(r.bucketStart)
      .all();
    return rows.map((row) => {
      const record = row as Record<string, number | string>;
      return {
        bucketStart: row.bucketStart,
        upstream: row.upstream,
        requests: row.requests,
        errors: row.errors,
        fallbacks: row.fallbacks,
        latencyMsSum: row.latencyMsSum,
        histogram: Array.from({ length: LATENCY_BUCKETS }, (_, i) => Number(record[`h${i}`])),
      };
    });
  }

  /** Forgets outcome rows past redelivery, and minute rollups past a week (as usage does). */
  async purgeExpired(now: number): Promise<void> {
    await this.db.batch(this.purgeStatements(now));
  }

  /** The purge's statements; exposed so tests can check their query plans. */
  purgeStatements(now: number) {
    return [
      this.db.delete(upstreamEvents).where(lt(upstreamEvents.startedAt, now - 3 * 86400)),
      this.db.delete(upstreamRollups).where(and(eq(upstreamRollups.width, 60), lt(upstreamRollups.bucketStart, now - 7 * 86400))),
    ] as const;
  }
}

/** The latency below which `share` (0.5, 0.95) of the requests fell: the upper bound of its histogram bucket; null when the last, open bucket. */
export function latencyPercentile(histogram: number[], share: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= share * total) return LATENCY_BOUNDS_MS[i] ?? null;
  }
  return null;
}
