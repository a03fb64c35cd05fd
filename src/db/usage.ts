import { and, eq, getTableColumns, gte, inArray, lt, sql, sum, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { teams, usageEvents, usageRollups, type UsageKind } from "./schema";
import type { UsageEvent } from "./types";

// The only module that knows the usage tables. Events are written once per id; each consumer run
// then adds to the rollups only the events it inserted itself, in the same D1 batch (one
// transaction), so a redelivered message changes nothing and a failed run changes nothing.

export const ROLLUP_WIDTHS = [60, 3600, 86400] as const;
export type RollupWidth = (typeof ROLLUP_WIDTHS)[number];

export type UsageGroupColumn = "teamId" | "keyId" | "model" | "upstream" | "kind" | "size";

export interface RollupQuery {
  width: RollupWidth;
  kinds: UsageKind[];
  from: number;
  to: number;
  /** null: every team (the admin token). */
  teamIds: string[] | null;
  keyIds: string[] | null;
  models: string[] | null;
  /** Image sizes; null: no filter. */
  sizes: string[] | null;
  groupBy: UsageGroupColumn[];
}

export interface RollupSums {
  bucketStart: number;
  teamId: string | null;
  keyId: string | null;
  model: string | null;
  upstream: string | null;
  kind: UsageKind | null;
  size: string | null;
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  unknownUsageRequests: number;
  unpricedRequests: number;
  units: number;
  /** Nano-dollars. */
  inputCostNanoUsd: number;
  cachedInputCostNanoUsd: number;
  outputCostNanoUsd: number;
  unitsCostNanoUsd: number;
}

const eventRow = (event: UsageEvent, batchId: string) => ({
  id: event.id,
  teamId: event.teamId,
  batchId,
  keyId: event.keyId,
  kind: event.kind,
  model: event.model,
  upstream: event.upstream,
  startedAt: event.startedAt,
  inputTokens: event.inputTokens,
  cachedInputTokens: event.cachedInputTokens,
  outputTokens: event.outputTokens,
  unknownUsage: event.unknownUsage ? 1 : 0,
  priced: event.priced ? 1 : 0,
  units: event.units,
  size: event.size,
  inputCostNanoUsd: event.inputCostNanoUsd,
  cachedInputCostNanoUsd: event.cachedInputCostNanoUsd,
  outputCostNanoUsd: event.outputCostNanoUsd,
  unitsCostNanoUsd: event.unitsCostNanoUsd,
});

const added = (column: { name: string }) => sql.raw(`"${column.name}" + excluded."${column.name}"`);

/** Adds the events of one batch (`batchId`) to the rollups of one width; a deleted team's add nothing. */
function rollupInsert(db: Db, width: RollupWidth, batchId: string) {
  const e = usageEvents;
  return db
    .insert(usageRollups)
    .select(
      db
        .select({
          teamId: e.teamId,
          // Inlined, not bound: D1 binds numbers as REAL, and the bucket needs integer division.
          width: sql<number>`${sql.raw(String(width))}`.as("width"),
          bucketStart: sql<number>`(${e.startedAt} / ${sql.raw(String(width))}) * ${sql.raw(String(width))}`.as("bucket_start"),
          kind: e.kind,
          keyId: e.keyId,
          model: e.model,
          upstream: e.upstream,
          size: e.size,
          requests: sql<number>`count(*)`.as("requests"),
          inputTokens: sql<number>`sum(${e.inputTokens})`.as("input_tokens"),
          cachedInputTokens: sql<number>`sum(${e.cachedInputTokens})`.as("cached_input_tokens"),
          outputTokens: sql<number>`sum(${e.outputTokens})`.as("output_tokens"),
          unknownUsageRequests: sql<number>`sum(${e.unknownUsage})`.as("unknown_usage_requests"),
          unpricedRequests: sql<number>`sum(1 - ${e.priced})`.as("unpriced_requests"),
          units: sql<number>`sum(${e.units})`.as("units"),
          inputCostNanoUsd: sql<number>`sum(${e.inputCostNanoUsd})`.as("input_cost_nano_usd"),
          cachedInputCostNanoUsd: sql<number>`sum(${e.cachedInputCostNanoUsd})`.as("cached_input_cost_nano_usd"),
          outputCostNanoUsd: sql<number>`sum(${e.outputCostNanoUsd})`.as("output_cost_nano_usd"),
          unitsCostNanoUsd: sql<number>`sum(${e.unitsCostNanoUsd})`.as("units_cost_nano_usd"),
        })
        .from(e)
        // A late event of a deleted team adds nothing: its rollups are being purged, or gone.
        .where(and(eq(e.batchId, batchId), sql`exists (select 1 from ${teams} where ${teams.id} = ${e.teamId} and ${teams.deletedAt} is null)`))
        .groupBy(e.teamId, sql`2`, sql`3`, e.kind, e.keyId, e.model, e.upstream, e.size),
    )
    .onConflictDoUpdate({
      target: [usageRollups.teamId, usageRollups.width, usageRollups.kind, usageRollups.bucketStart, usageRollups.keyId, usageRollups.model, usageRollups.upstream, usageRollups.size],
      set: {
        requests: added(usageRollups.requests),
        inputTokens: added(usageRollups.inputTokens),
        cachedInputTokens: added(usageRollups.cachedInputTokens),
        outputTokens: added(usageRollups.outputTokens),
        unknownUsageRequests: added(usageRollups.unknownUsageRequests),
        unpricedRequests: added(usageRollups.unpricedRequests),
        units: added(usageRollups.units),
        inputCostNanoUsd: added(usageRollups.inputCostNanoUsd),
        cachedInputCostNanoUsd: added(usageRollups.cachedInputCostNanoUsd),
        outputCostNanoUsd: added(usageRollups.outputCostNanoUsd),
        unitsCostNanoUsd: added(usageRollups.unitsCostNanoUsd),
      },
    });
}

/**
 * The statements of `record` are the same every time but for their bound values: Drizzle builds
 * them once, and each batch only binds (as the store index does; building them per event cost
 * the consumer more than the rest of its work).
 */
let recordSql: { event: string; rollups: string[] } | undefined;
// Drizzle binds an insert's values in the table's column order.
const EVENT_COLUMNS = Object.keys(getTableColumns(usageEvents)) as (keyof ReturnType<typeof eventRow>)[];

function recordStatements(db: Db) {
  if (!recordSql) {
    const sample: UsageEvent = {
      id: "",
      teamId: "",
      keyId: "",
      kind: "completions",
      model: "",
      upstream: "",
      startedAt: 0,
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      unknownUsage: false,
      priced: false,
      units: 0,
      size: "",
      inputCostNanoUsd: 0,
      cachedInputCostNanoUsd: 0,
      outputCostNanoUsd: 0,
      unitsCostNanoUsd: 0,
    };
    const event = db.insert(usageEvents).values(eventRow(sample, "")).onConflictDoNothing().toSQL();
    const rollups = ROLLUP_WIDTHS.map((width) => rollupInsert(db, width, "").toSQL());
    // Each rollup binds the batch id only; each event its row's values, in eventRow's order.
    if (event.params.length !== EVENT_COLUMNS.length || rollups.some((r) => r.params.length !== 1)) {
      throw new Error("usage statements: unexpected bound parameters");
    }
    recordSql = { event: event.sql, rollups: rollups.map((r) => r.sql) };
  }
  return recordSql;
}

const SUMMED = [
  "requests",
  "inputTokens",
  "cachedInputTokens",
  "outputTokens",
  "unknownUsageRequests",
  "unpricedRequests",
  "units",
  "inputCostNanoUsd",
  "cachedInputCostNanoUsd",
  "outputCostNanoUsd",
  "unitsCostNanoUsd",
] as const;

/** Sums read from several shards, merged: rows of the same bucket and group are added, in bucket order. */
export function mergeSums(perShard: RollupSums[][]): RollupSums[] {
  if (perShard.length === 1) return perShard[0];
  const merged = new Map<string, RollupSums>();
  for (const row of perShard.flat()) {
    const key = JSON.stringify([row.bucketStart, row.teamId, row.keyId, row.model, row.upstream, row.kind, row.size]);
    const into = merged.get(key);
    if (!into) merged.set(key, { ...row });
    else for (const field of SUMMED) into[field] += row[field];
  }
  return [...merged.values()].sort((a, b) => a.bucketStart - b.bucketStart);
}

export class UsageRepository {
  constructor(private readonly db: Db) {}

  /** Records events and adds the new ones to every rollup, atomically. Already-known ids add nothing. */
  async record(events: UsageEvent[], batchId = crypto.randomUUID()): Promise<void> {
    if (events.length === 0) return;
    const text = recordStatements(this.db);
    const d1 = this.db.$client;
    // One statement per event: D1 allows 100 bound parameters per statement.
    const inserts = events.map((event) => {
      const row = eventRow(event, batchId);
      return d1.prepare(text.event).bind(...EVENT_COLUMNS.map((column) => row[column]));
    });
    const rollups = text.rollups.map((rollup) => d1.prepare(rollup).bind(batchId));
    await d1.batch([...inserts, ...rollups]);
  }

  /** Sums per bucket (and per group), read from the rollups of one width. */
  sums(query: RollupQuery): Promise<RollupSums[]> {
    return this.sumsQuery(query).all();
  }

  /** The query of `sums`, unrun (tests read its plan). */
  sumsQuery(query: RollupQuery) {
    const r = usageRollups;
    const filters: SQL[] = [eq(r.width, query.width), inArray(r.kind, query.kinds), gte(r.bucketStart, query.from), lt(r.bucketStart, query.to)];
    if (query.teamIds) filters.push(inArray(r.teamId, query.teamIds));
    if (query.keyIds) filters.push(inArray(r.keyId, query.keyIds));
    if (query.models) filters.push(inArray(r.model, query.models));
    if (query.sizes) filters.push(inArray(r.size, query.sizes));
    const grouped = (column: UsageGroupColumn) => (query.groupBy.includes(column) ? sql<string | null>`${r[column]}` : sql<string | null>`null`);
    const groupColumns = query.groupBy.map((column) => r[column]);
    return this.db
      .select({
        bucketStart: r.bucketStart,
        teamId: grouped("teamId"),
        keyId: grouped("keyId"),
        model: grouped("model"),
        upstream: grouped("upstream"),
        kind: grouped("kind") as SQL<UsageKind | null>,
        size: grouped("size"),
        requests: sum(r.requests).mapWith(Number),
        inputTokens: sum(r.inputTokens).mapWith(Number),
        cachedInputTokens: sum(r.cachedInputTokens).mapWith(Number),
        outputTokens: sum(r.outputTokens).mapWith(Number),
        unknownUsageRequests: sum(r.unknownUsageRequests).mapWith(Number),
        unpricedRequests: sum(r.unpricedRequests).mapWith(Number),
        units: sum(r.units).mapWith(Number),
        inputCostNanoUsd: sum(r.inputCostNanoUsd).mapWith(Number),
        cachedInputCostNanoUsd: sum(r.cachedInputCostNanoUsd).mapWith(Number),
        outputCostNanoUsd: sum(r.outputCostNanoUsd).mapWith(Number),
        unitsCostNanoUsd: sum(r.unitsCostNanoUsd).mapWith(Number),
      })
      .from(r)
      .where(and(...filters))
      .groupBy(r.bucketStart, ...groupColumns)
      .orderBy(r.bucketStart);
  }

  /** Nano-dollars spent since `from` (Unix seconds), per team or per key, from the day rollups. */
  async spendSince(scope: { teamIds: string[] } | { keyIds: string[] }, from: number): Promise<Map<string, number>> {
    const r = usageRollups;
    const byTeam = "teamIds" in scope;
    const ids = byTeam ? scope.teamIds : scope.keyIds;
    if (ids.length === 0) return new Map();
    const column = byTeam ? r.teamId : r.keyId;
    const spend = new Map<string, number>();
    // D1 allows 100 bound parameters per statement.
    for (let i = 0; i < ids.length; i += 90) {
      // The current day's bucket starts at or after any period start, which is a UTC day boundary.
      const rows = await this.db
        .select({ id: column, nanoUsd: sql<number>`sum(${r.inputCostNanoUsd} + ${r.cachedInputCostNanoUsd} + ${r.outputCostNanoUsd} + ${r.unitsCostNanoUsd})`.mapWith(Number) })
        .from(r)
        .where(and(eq(r.width, 86400), inArray(column, ids.slice(i, i + 90)), gte(r.bucketStart, from)))
        .groupBy(column)
        .all();
      for (const row of rows) spend.set(row.id, row.nanoUsd);
    }
    return spend;
  }

  /**
   * Forgets old event rows (kept only to recognise redeliveries, which stop after the queue's
   * retries) and minute rollups past the 1m API's reach (1,440 buckets, one day).
   */
  async purgeExpired(now: number): Promise<void> {
    await this.db.batch([
      this.db.delete(usageEvents).where(lt(usageEvents.startedAt, now - 3 * 86400)),
      this.db.delete(usageRollups).where(and(eq(usageRollups.width, 60), lt(usageRollups.bucketStart, now - 7 * 86400))),
    ]);
  }
}
