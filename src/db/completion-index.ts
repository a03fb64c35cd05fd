import { and, asc, desc, eq, getTableColumns, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import type { ListCompletionsQuery } from "./completions";
import { completionFilters, completionIndex, completionMessages, completionMetadata, completionPacks, completions, completionTombstones, payloadParts } from "./schema";

// The only module that knows the store's index tables (a team's shard). Every query names the
// team's integer id (`tid`). Bodies are in R2 (src/store/bodies.ts); this holds what lists, filters,
// sorts and finds them.

export type IndexRow = typeof completionIndex.$inferSelect;
/** A row as a list gives it: with the pack that may hold its answer ("{at}:{id}" of the pack), or null. */
export type ListedRow = IndexRow & { pack: string | null };
export type PackRow = typeof completionPacks.$inferSelect;
/** A row as the packer reads it. */
export type PackableRow = Pick<IndexRow, "id" | "created" | "at" | "loc">;

/** A list query as the index takes it: the team's integer id, and `after` as a compact id. */
export type IndexListQuery = Omit<ListCompletionsQuery, "teamId"> & { tid: number };

/** SQL of the statements that need no query builder: built once, bound per call. */
const SQL_TEXT = {
  // Gated as every write of a completion: only for a live team, never over a tombstone, and (for the
  // filters) only while the index row is not written yet, so a retry never re-adds replaced metadata.
  insertFilters: `insert into completion_filters (tid, k, v, created, id)
    select ?1, j.key, j.value, ?2, ?3 from json_each(?4) j
    where exists (select 1 from teams t where t.id = ?5 and t.deleted_at is null)
      and not exists (select 1 from completion_tombstones d where d.team_id = ?5 and d.completion_id = ?6)
      and not exists (select 1 from completion_index c where c.tid = ?1 and c.id = ?3)
    on conflict do nothing`,
  insertRow: `insert into completion_index (tid, id, created, model, meta, at, conv, up, msgs, bytes, loc)
    select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
    where exists (select 1 from teams t where t.id = ?12 and t.deleted_at is null)
      and not exists (select 1 from completion_tombstones d where d.team_id = ?12 and d.completion_id = ?13)
    on conflict do nothing`,
  afterRefusal: `select (select 1 from completion_index c where c.tid = ?1 and c.id = ?2) as present,
    (select 1 from teams t where t.id = ?3 and t.deleted_at is null) as live`,
  // A completion's filter rows, found from its metadata (stored once for filtering, so there is no
  // index by id to walk): each is a primary-key lookup.
  deleteFilters: `delete from completion_filters where (tid, k, v, created, id) in
    (select c.tid, j.key, j.value, c.created, c.id from completion_index c, json_each(c.meta) j where c.tid = ?1 and c.id = ?2)`,
  addFilters: `insert into completion_filters (tid, k, v, created, id)
    select c.tid, j.key, j.value, c.created, c.id from completion_index c, json_each(?3) j where c.tid = ?1 and c.id = ?2
    on conflict do nothing`,
};

/** Which of some ids (?2, a JSON array) the team (?1) still has: one key lookup each (as a join, SQLite may walk the team's whole index instead). */
export const PRESENT_IDS_SQL = "select j.value as id from json_each(?2) j where exists (select 1 from completion_index c where c.tid = ?1 and c.id = j.value)";

const metaText = (metadata: Record<string, string>) => (Object.keys(metadata).length > 0 ? JSON.stringify(metadata) : null);

export class CompletionIndex {
  constructor(private readonly db: Db) {}

  private get d1(): D1Database {
    return this.db.$client;
  }

  /** The statements that write one completion's index row and filter rows (run them in one batch). */
  insertStatements(teamId: string, fullId: string, row: IndexRow): D1PreparedStatement[] {
    const statements: D1PreparedStatement[] = [];
    if (row.meta !== null) statements.push(this.d1.prepare(SQL_TEXT.insertFilters).bind(row.tid, row.created, row.id, row.meta, teamId, fullId));
    statements.push(
      this.d1
        .prepare(SQL_TEXT.insertRow)
        .bind(row.tid, row.id, row.created, row.model, row.meta, row.at, row.conv, row.up, row.msgs, row.bytes, row.loc, teamId, fullId),
    );
    return statements;
  }

  /**
   * Writes a completion's index, atomically; a no-op if it is there already, deleted, or of a deleted
   * team. Says whether the row is there afterwards, and if not, whether its team is gone.
   */
  async insert(teamId: string, fullId: string, row: IndexRow): Promise<"indexed" | "refused" | "team deleted"> {
    const results = await this.d1.batch(this.insertStatements(teamId, fullId, row));
    if ((results[results.length - 1]?.meta.changes ?? 0) > 0) return "indexed";
    // Nothing written: a retry of a landed write, or a refusal. Only then is the row looked up.
    const found = await this.d1.prepare(SQL_TEXT.afterRefusal).bind(row.tid, row.id, teamId).first<{ present: number | null; live: number | null }>();
    if (found?.present) return "indexed";
    return found?.live ? "refused" : "team deleted";
  }

  async get(tid: number, id: string): Promise<IndexRow | null> {
    return (await this.db.select().from(completionIndex).where(and(eq(completionIndex.tid, tid), eq(completionIndex.id, id))).get()) ?? null;
  }

  /**
   * For each of `convs` (the hashes of a new request's message prefixes), the id of the team's latest
   * completion with that hash stored in [from, to), other than `exceptId`. One statement of one-row
   * lookups on the (tid, conv, at) index: it reads at most one row per hash, however many share it.
   */
  async latestByConv(tid: number, convs: number[], from: number, to: number, exceptId: string): Promise<{ id: string; conv: number }[]> {
    if (convs.length === 0) return [];
    return (await this.latestByConvQuery(tid, convs, from, to, exceptId).all<{ id: string | null; conv: number }>()).results.filter(
      (row): row is { id: string; conv: number } => row.id !== null,
    );
  }

  /** The statement of latestByConv; exposed so tests can check the rows it reads. */
  latestByConvQuery(tid: number, convs: number[], from: number, to: number, exceptId: string): D1PreparedStatement {
    // The hashes as one JSON array: D1 binds at most 100 parameters, and refuses long compound SELECTs.
    return this.d1
      .prepare(
        `select j.value as conv, (select c.id from completion_index c where c.tid = ?1 and c.conv = j.value and c.at >= ?2 and c.at < ?3 and c.id <> ?4
           order by c.at desc limit 1) as id from json_each(?5) j`,
      )
      .bind(tid, from, to, exceptId, JSON.stringify(convs));
  }

  /** A page of index rows (limit + 1, to know has_more), each with the pack that may hold its answer. */
  list(query: IndexListQuery): Promise<ListedRow[]> {
    return this.listQuery(query).all();
  }

  /** The list statement; exposed so tests can check its query plan. */
  listQuery(query: IndexListQuery) {
    const { tid, model, after, limit, order, createdFrom, createdTo } = query;
    const pairs = query.metadata ?? [];
    const direction = order === "asc" ? asc : desc;
    const compare = order === "asc" ? ">" : "<";
    const c = completionIndex;
    const f = completionFilters;
    // One statement, cursor included: the `after` row is looked up inside it, scoped to the team.
    const cursorAfter = (created: SQLiteColumn, id: SQLiteColumn): SQL =>
      sql`(${created}, ${id}) ${sql.raw(compare)} (select a.created, a.id from completion_index a where a.tid = ${tid} and a.id = ${after})`;
    const createdIn = (created: SQLiteColumn): SQL[] => [
      ...(createdFrom !== undefined ? [gte(created, createdFrom)] : []),
      ...(createdTo !== undefined ? [lt(created, createdTo)] : []),
    ];
    // The pack that starts last at or before the row, if the row is not past its end: one key lookup per row.
    // Named in full: in a one-table select Drizzle leaves columns bare, and a bare `tid` here would be p's.
    // (A range on `created` with the id compared apart: SQLite walks a key for that, not for a row-value bound.)
    const pack = sql<string | null>`(select case when p.last_created > completion_index.created
        or (p.last_created = completion_index.created and p.last_id >= completion_index.id) then p.at || ':' || p.id end
      from completion_packs p where p.tid = completion_index.tid and p.created <= completion_index.created
        and (p.created < completion_index.created or p.id <= completion_index.id)
      order by p.created desc, p.id desc limit 1)`.as("pack");
    const columns = { ...getTableColumns(c), pack };
    const hasPair = (key: string, value: string): SQL =>
      sql`exists (select 1 from completion_filters f2 where f2.tid = ${c.tid} and f2.k = ${key} and f2.v = ${value} and f2.created = ${c.created} and f2.id = ${c.id})`;
    if (pairs.length > 0) {
      // Walk the filter rows of the first pair, which are already in list order.
      const [[firstKey, firstValue], ...otherPairs] = pairs;
      return this.db
        .select(columns)
        .from(f)
        .innerJoin(c, and(eq(c.tid, f.tid), eq(c.id, f.id)))
        .where(
          and(
            eq(f.tid, tid),
            eq(f.k, firstKey),
            eq(f.v, firstValue),
            after !== undefined ? cursorAfter(f.created, f.id) : undefined,
            ...createdIn(f.created),
            model !== undefined ? eq(c.model, model) : undefined,
            ...otherPairs.map(([key, value]) => hasPair(key, value)),
          ),
        )
        .orderBy(direction(f.created), direction(f.id))
        .limit(limit + 1);
    }
    return this.db
      .select(columns)
      .from(c)
      .where(and(eq(c.tid, tid), model !== undefined ? eq(c.model, model) : undefined, after !== undefined ? cursorAfter(c.created, c.id) : undefined, ...createdIn(c.created)))
      .orderBy(direction(c.created), direction(c.id))
      .limit(limit + 1);
  }

  /** The team's last pack (the one whose run is latest in list order), or null. */
  async lastPack(tid: number): Promise<PackRow | null> {
    const p = completionPacks;
    return (await this.db.select().from(p).where(eq(p.tid, tid)).orderBy(desc(p.created), desc(p.id)).limit(1).get()) ?? null;
  }

  /**
   * Up to `limit` rows after `mark` (a pack's last row; null: from the first), in list order. A row
   * whose `created` is over a day past when it was stored (an upstream's clock or unit gone wrong)
   * is left out: packed, it would leave every later row behind the mark.
   */
  async packable(tid: number, mark: { lastCreated: number; lastId: string } | null, limit: number): Promise<PackableRow[]> {
    const c = completionIndex;
    return this.db
      .select({ id: c.id, created: c.created, at: c.at, loc: c.loc })
      .from(c)
      .where(
        and(
          eq(c.tid, tid),
          mark ? and(gte(c.created, mark.lastCreated), sql`(${c.created} > ${mark.lastCreated} or ${c.id} > ${mark.lastId})`) : undefined,
          sql`${c.created} <= ${c.at} / 1000 + 86400`,
        ),
      )
      .orderBy(asc(c.created), asc(c.id))
      .limit(limit)
      .all();
  }

  /** The rows of a pack's range, in list order. */
  async rowsOfPack(pack: PackRow): Promise<PackableRow[]> {
    const c = completionIndex;
    const rows = await this.db
      .select({ id: c.id, created: c.created, at: c.at, loc: c.loc })
      .from(c)
      .where(and(eq(c.tid, pack.tid), gte(c.created, pack.created), lte(c.created, pack.lastCreated), sql`${c.created} <= ${c.at} / 1000 + 86400`))
      .orderBy(asc(c.created), asc(c.id))
      .all();
    return rows.filter(
      (row) => (row.created > pack.created || row.id >= pack.id) && (row.created < pack.lastCreated || row.id <= pack.lastId),
    );
  }

  /**
   * Claims a pack's range before its object is written: only for a live team, and only if no pack
   * reaches this far already (another packer got there first). Returns whether it was claimed.
   */
  async claimPack(teamId: string, pack: Omit<PackRow, "n" | "ready">): Promise<boolean> {
    const { meta } = await this.d1
      .prepare(
        `insert into completion_packs (tid, created, id, last_created, last_id, at, n, ready)
         select ?1, ?2, ?3, ?4, ?5, ?6, 0, 0
         where exists (select 1 from teams t where t.id = ?7 and t.deleted_at is null)
           and not exists (select 1 from (select last_created, last_id from completion_packs where tid = ?1 order by created desc, id desc limit 1) p
             where p.last_created > ?2 or (p.last_created = ?2 and p.last_id >= ?3))
         on conflict do nothing`,
      )
      .bind(pack.tid, pack.created, pack.id, pack.lastCreated, pack.lastId, pack.at, teamId)
      .run();
    return meta.changes === 1;
  }

  /** Marks a pack written and checked, holding `n` answers. */
  async finishPack(pack: PackRow, n: number): Promise<void> {
    const p = completionPacks;
    await this.db.update(p).set({ n, ready: 1 }).where(and(eq(p.tid, pack.tid), eq(p.created, pack.created), eq(p.id, pack.id)));
  }

  async deletePack(pack: PackRow): Promise<void> {
    const p = completionPacks;
    await this.db.delete(p).where(and(eq(p.tid, pack.tid), eq(p.created, pack.created), eq(p.id, pack.id)));
  }

  /** The pack whose range holds (created, id), or null. */
  async packHolding(tid: number, created: number, id: string): Promise<PackRow | null> {
    const p = completionPacks;
    const pack = await this.db
      .select()
      .from(p)
      .where(and(eq(p.tid, tid), lte(p.created, created), sql`(${p.created} < ${created} or ${p.id} <= ${id})`))
      .orderBy(desc(p.created), desc(p.id))
      .limit(1)
      .get();
    return pack && (pack.lastCreated > created || (pack.lastCreated === created && pack.lastId >= id)) ? pack : null;
  }

  /** Which of these ids still have an index row. */
  async presentIds(tid: number, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { results } = await this.d1.prepare(PRESENT_IDS_SQL).bind(tid, JSON.stringify(ids)).all<{ id: string }>();
    return new Set(results.map((row) => row.id));
  }

  /** Deletes up to `limit` rows of packs stored before `beforeMs` (a day's start: their R2 day goes with the sweep); returns how many. */
  async purgePacksBefore(beforeMs: number, limit: number): Promise<number> {
    const { meta } = await this.d1
      .prepare("delete from completion_packs where (tid, created, id) in (select tid, created, id from completion_packs where at < ?1 limit ?2)")
      .bind(beforeMs, limit)
      .run();
    return meta.changes;
  }

  /** Replaces the metadata; returns the updated row, or null if there is none. */
  async updateMetadata(tid: number, id: string, metadata: Record<string, string>): Promise<IndexRow | null> {
    const meta = metaText(metadata);
    const [, updated] = await this.d1.batch([
      this.d1.prepare(SQL_TEXT.deleteFilters).bind(tid, id),
      this.d1.prepare("update completion_index set meta = ?3 where tid = ?1 and id = ?2 returning *").bind(tid, id, meta),
      // Through the index row, so that a concurrent delete leaves no orphan filter rows.
      ...(meta !== null ? [this.d1.prepare(SQL_TEXT.addFilters).bind(tid, id, meta)] : []),
    ]);
    return (updated.results[0] as IndexRow | undefined) ?? null;
  }

  /**
   * Deletes a completion's index and filter rows (and its inline rows if it was stored inline), and
   * leaves a tombstone so that a pending write can never bring it back. Returns the deleted row.
   */
  async delete(teamId: string, fullId: string, tid: number, id: string): Promise<IndexRow | null> {
    const db = this.db;
    const statement = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
      const { sql: text, params } = query.toSQL();
      return this.d1.prepare(text).bind(...params);
    };
    const results = await this.d1.batch([
      this.d1.prepare(SQL_TEXT.deleteFilters).bind(tid, id),
      this.d1.prepare("delete from completion_index where tid = ?1 and id = ?2 returning *").bind(tid, id),
      statement(db.delete(completionMessages).where(and(eq(completionMessages.teamId, teamId), eq(completionMessages.completionId, fullId)))),
      statement(db.delete(payloadParts).where(and(eq(payloadParts.teamId, teamId), eq(payloadParts.completionId, fullId)))),
      statement(db.delete(completionMetadata).where(and(eq(completionMetadata.teamId, teamId), eq(completionMetadata.completionId, fullId)))),
      statement(db.delete(completions).where(and(eq(completions.teamId, teamId), eq(completions.id, fullId)))),
      statement(db.insert(completionTombstones).values({ teamId, completionId: fullId, deletedAt: Date.now() }).onConflictDoNothing()),
    ]);
    return (results[1].results[0] as IndexRow | undefined) ?? null;
  }

  /**
   * Deletes up to `limit` completions minted before `cutoffMs`, oldest first, with their filter rows,
   * in one atomic batch; returns the rows deleted. Their bodies go with their R2 day prefix
   * (BodyStore.deleteExpiredDays); inline ones' old rows, with the migration job.
   */
  async purgeExpiredBatch(cutoffMs: number, limit: number): Promise<Pick<IndexRow, "tid" | "id" | "loc">[]> {
    const expired = `select tid, id from completion_index where at < ?1 order by at limit ?2`;
    const [, deleted] = await this.d1.batch([
      this.d1
        .prepare(
          `delete from completion_filters where (tid, k, v, created, id) in
            (select c.tid, j.key, j.value, c.created, c.id from completion_index c, json_each(c.meta) j where (c.tid, c.id) in (${expired}))`,
        )
        .bind(cutoffMs, limit),
      this.d1.prepare(`delete from completion_index where (tid, id) in (${expired}) returning tid, id, loc`).bind(cutoffMs, limit),
    ]);
    return deleted.results as Pick<IndexRow, "tid" | "id" | "loc">[];
  }
}

const indexes = new WeakMap<Db, CompletionIndex>();
/** The index of a shard's database, one per isolate. */
export function completionIndexOf(db: Db): CompletionIndex {
  let index = indexes.get(db);
  if (!index) indexes.set(db, (index = new CompletionIndex(db)));
  return index;
}
