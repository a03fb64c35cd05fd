import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { createDb, type Db } from "./client";
import { BODY_SLOT, insertCompletions } from "./completion-writes";
import { chunkRows } from "./d1-limits";
import { completionMessages, completionMetadata, completions, completionTombstones, payloadParts, type CompletionRow } from "./schema";
import type { Metadata, NewStoredCompletion, StoredBody, StoredCompletion } from "./types";

// The only module that knows the completion tables (writes: completion-writes.ts; purges:
// bulk-delete.ts). Every query is scoped by team_id.

type Statement = BatchItem<"sqlite">;

type Order = "asc" | "desc";

export interface ListCompletionsQuery {
  teamId: string;
  model?: string;
  /** Pairs that must all match; a key may repeat (then nothing matches unless values agree). */
  metadata?: [string, string][];
  after?: string;
  /** `created` range (Unix seconds): from inclusive, to exclusive. Both walk the same index as the list. */
  createdFrom?: number;
  createdTo?: number;
  limit: number;
  order: Order;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

export class CompletionsRepository {
  constructor(private readonly db: Db) {}

  /** Stores completions in one atomic batch; a no-op for any already stored, deleted, or of a deleted team. */
  insertMany(records: NewStoredCompletion[]): Promise<void> {
    return insertCompletions(this.db, records);
  }

  async exists(teamId: string, id: string): Promise<boolean> {
    const row = await this.db
      .select({ id: completions.id })
      .from(completions)
      .where(and(eq(completions.teamId, teamId), eq(completions.id, id)))
      .get();
    return row !== undefined;
  }

  /** True if the team deleted this id (its tombstone is there). */
  async isDeleted(teamId: string, id: string): Promise<boolean> {
    const row = await this.db
      .select({ id: completionTombstones.completionId })
      .from(completionTombstones)
      .where(and(eq(completionTombstones.teamId, teamId), eq(completionTombstones.completionId, id)))
      .get();
    return row !== undefined;
  }

  async get(teamId: string, id: string): Promise<StoredCompletion | null> {
    const row = await this.db
      .select()
      .from(completions)
      .where(and(eq(completions.teamId, teamId), eq(completions.id, id)))
      .get();
    if (!row) return null;
    const [completion] = await this.hydrate(teamId, [row]);
    return completion;
  }

  async list(query: ListCompletionsQuery): Promise<Page<StoredCompletion>> {
    const rows = await this.listQuery(query).all();
    const hasMore = rows.length > query.limit;
    return { items: await this.hydrate(query.teamId, rows.slice(0, query.limit)), hasMore };
  }

  /** The list statement (limit + 1 rows, to know has_more); exposed so tests can check its query plan. */
  listQuery(query: ListCompletionsQuery) {
    const { teamId, model, after, limit, order, createdFrom, createdTo } = query;
    const pairs = query.metadata ?? [];
    const direction = order === "asc" ? asc : desc;
    const compare = order === "asc" ? ">" : "<";
    // One statement, cursor included: the `after` row is looked up inside it, scoped to the team.
    const cursorAfter = (created: SQLiteColumn, id: SQLiteColumn): SQL =>
      sql`(${created}, ${id}) ${sql.raw(compare)} (select c.created, c.id from completions c where c.team_id = ${teamId} and c.id = ${after})`;
    const createdIn = (created: SQLiteColumn): SQL[] => [
      ...(createdFrom !== undefined ? [gte(created, createdFrom)] : []),
      ...(createdTo !== undefined ? [lt(created, createdTo)] : []),
    ];
    const hasPair = (key: string, value: string): SQL =>
      sql`exists (select 1 from completion_metadata m2 where m2.team_id = ${completions.teamId} and m2.completion_id = ${completions.id} and m2.key = ${key} and m2.value = ${value})`;

    if (pairs.length > 0) {
      // Walk the metadata index of the first pair, which is already in list order.
      const [[firstKey, firstValue], ...otherPairs] = pairs;
      return this.db
        .select(getTableColumns(completions))
        .from(completionMetadata)
        .innerJoin(completions, and(eq(completions.teamId, completionMetadata.teamId), eq(completions.id, completionMetadata.completionId)))
        .where(
          and(
            eq(completionMetadata.teamId, teamId),
            eq(completionMetadata.key, firstKey),
            eq(completionMetadata.value, firstValue),
            after ? cursorAfter(completionMetadata.created, completionMetadata.completionId) : undefined,
            ...createdIn(completionMetadata.created),
            model !== undefined ? eq(completions.model, model) : undefined,
            ...otherPairs.map(([key, value]) => hasPair(key, value)),
          ),
        )
        .orderBy(direction(completionMetadata.created), direction(completionMetadata.completionId))
        .limit(limit + 1);
    }
    return this.db
      .select(getTableColumns(completions))
      .from(completions)
      .where(
        and(
          eq(completions.teamId, teamId),
          model !== undefined ? eq(completions.model, model) : undefined,
          after ? cursorAfter(completions.created, completions.id) : undefined,
          ...createdIn(completions.created),
        ),
      )
      .orderBy(direction(completions.created), direction(completions.id))
      .limit(limit + 1);
  }

  /** Replaces the metadata. Returns the updated completion, or null if there is none with that id. */
  async updateMetadata(teamId: string, id: string, metadata: Metadata): Promise<StoredCompletion | null> {
    const pairs = Object.entries(metadata);
    const statements: Statement[] = [
      this.db
        .update(completions)
        .set({ metadata })
        .where(and(eq(completions.teamId, teamId), eq(completions.id, id)))
        .returning(),
      this.db.delete(completionMetadata).where(and(eq(completionMetadata.teamId, teamId), eq(completionMetadata.completionId, id))),
    ];
    // Insert through a select on the completion, so that a concurrent delete leaves no orphan pairs.
    for (const [key, value] of pairs) {
      statements.push(
        this.db.insert(completionMetadata).select(
          this.db
            .select({
              teamId: completions.teamId,
              completionId: completions.id,
              key: sql<string>`${key}`.as("key"),
              value: sql<string>`${value}`.as("value"),
              created: completions.created,
            })
            .from(completions)
            .where(and(eq(completions.teamId, teamId), eq(completions.id, id))),
        ),
      );
    }
    const [updated] = (await this.db.batch(statements as [Statement, ...Statement[]])) as [CompletionRow[], ...unknown[]];
    if (updated.length === 0) return null;
    const [completion] = await this.hydrate(teamId, updated);
    return completion;
  }

  /**
   * Deletes a completion with its metadata, messages and parts, and leaves a tombstone so that a
   * write of it still pending can never bring it back. Returns false if there was none.
   */
  async delete(teamId: string, id: string): Promise<boolean> {
    const [deleted] = (await this.db.batch([
      this.db
        .delete(completions)
        .where(and(eq(completions.teamId, teamId), eq(completions.id, id)))
        .returning({ id: completions.id }),
      this.db.delete(completionMetadata).where(and(eq(completionMetadata.teamId, teamId), eq(completionMetadata.completionId, id))),
      this.db.delete(completionMessages).where(and(eq(completionMessages.teamId, teamId), eq(completionMessages.completionId, id))),
      this.db.delete(payloadParts).where(and(eq(payloadParts.teamId, teamId), eq(payloadParts.completionId, id))),
      this.db.insert(completionTombstones).values({ teamId, completionId: id, deletedAt: Date.now() }).onConflictDoNothing(),
    ])) as [{ id: string }[], ...unknown[]];
    return deleted.length > 0;
  }

  /** A page of a completion's input messages, as `[index, message]`; null if the completion is not the team's. */
  async listMessages(
    teamId: string,
    completionId: string,
    page: { afterIndex?: number; limit: number; order: Order },
  ): Promise<Page<[number, unknown]> | null> {
    const direction = page.order === "asc" ? asc : desc;
    const beyond = page.order === "asc" ? gt : lt;
    const [owner, rows] = await this.db.batch([
      this.db
        .select({ messageCount: completions.messageCount })
        .from(completions)
        .where(and(eq(completions.teamId, teamId), eq(completions.id, completionId))),
      this.db
        .select()
        .from(completionMessages)
        .where(
          and(
            eq(completionMessages.teamId, teamId),
            eq(completionMessages.completionId, completionId),
            page.afterIndex !== undefined ? beyond(completionMessages.idx, page.afterIndex) : undefined,
          ),
        )
        .orderBy(direction(completionMessages.idx))
        .limit(page.limit + 1),
    ]);
    if (owner.length === 0) return null;
    const slice = rows.slice(0, page.limit);
    const overflow = await this.readParts(
      teamId,
      slice.filter((row) => row.dataParts > 0).map((row) => ({ completionId, slot: row.idx })),
    );
    const items = slice.map((row): [number, unknown] => [row.idx, JSON.parse(row.data ?? overflow.get(`${completionId}/${row.idx}`) ?? "null")]);
    return { items, hasMore: rows.length > page.limit };
  }

  private async hydrate(teamId: string, rows: CompletionRow[]): Promise<StoredCompletion[]> {
    const overflow = await this.readParts(
      teamId,
      rows.filter((row) => row.bodyParts > 0).map((row) => ({ completionId: row.id, slot: BODY_SLOT })),
    );
    return rows.map((row) => ({
      id: row.id,
      created: row.created,
      body: JSON.parse(row.body ?? overflow.get(`${row.id}/${BODY_SLOT}`) ?? "{}") as StoredBody,
      metadata: row.metadata,
      upstream: row.upstream,
    }));
  }

  /** Reassembles split payloads, keyed `completionId/slot`. */
  private async readParts(teamId: string, wanted: { completionId: string; slot: number }[]): Promise<Map<string, string>> {
    const joined = new Map<string, string>();
    for (const group of chunkRows(wanted, 2)) {
      const rows = await this.db
        .select()
        .from(payloadParts)
        .where(
          and(
            eq(payloadParts.teamId, teamId),
            inArray(payloadParts.completionId, [...new Set(group.map((w) => w.completionId))]),
            inArray(payloadParts.slot, [...new Set(group.map((w) => w.slot))]),
          ),
        )
        .orderBy(asc(payloadParts.completionId), asc(payloadParts.slot), asc(payloadParts.part))
        .all();
      for (const row of rows) {
        const key = `${row.completionId}/${row.slot}`;
        if (!group.some((w) => w.completionId === row.completionId && w.slot === row.slot)) continue;
        joined.set(key, (joined.get(key) ?? "") + row.data);
      }
    }
    return joined;
  }
}

const repositories = new WeakMap<D1Database, CompletionsRepository>();

/** The completions repository of a D1 binding, one per isolate. */
export function completionsRepository(d1: D1Database): CompletionsRepository {
  let repo = repositories.get(d1);
  if (!repo) repositories.set(d1, (repo = new CompletionsRepository(createDb(d1))));
  return repo;
}
