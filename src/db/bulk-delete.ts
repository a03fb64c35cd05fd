import { and, eq, isNotNull, sql } from "drizzle-orm";
import type { Db } from "./client";
import { completionMessages, completionMetadata, completions, completionTombstones, payloadParts, teams, writeSpool } from "./schema";
import { TEAM_TABLES } from "./team-tables";

// Bulk deletes, always in bounded batches: every statement binds two or three parameters (D1
// allows 100) and touches a bounded number of rows, so that no statement nears D1's 30 s limit
// and a backlog of any size is worked off over several runs.

/** Completions deleted per batch by the retention purge (with their metadata, messages and parts). */
export const RETENTION_BATCH = 500;
/** Rows deleted per statement by a team purge. */
export const TEAM_PURGE_ROWS = 1_000;

/**
 * Deletes up to `limit` completions stored before `cutoffMs`, oldest first, with their metadata,
 * messages and payload parts, in one atomic batch. Returns how many completions went.
 */
export async function purgeExpiredBatch(db: Db, cutoffMs: number, limit = RETENTION_BATCH): Promise<number> {
  // The same subquery in every statement picks the same completions: the batch is one transaction,
  // and the children's deletes do not change `completions`. It walks `completions_stored_at`.
  const expired = sql`select team_id, id from completions where stored_at < ${cutoffMs} order by stored_at, team_id, id limit ${limit}`;
  const results = await db.batch([
    db.delete(payloadParts).where(sql`(${payloadParts.teamId}, ${payloadParts.completionId}) in (${expired})`),
    db.delete(completionMessages).where(sql`(${completionMessages.teamId}, ${completionMessages.completionId}) in (${expired})`),
    db.delete(completionMetadata).where(sql`(${completionMetadata.teamId}, ${completionMetadata.completionId}) in (${expired})`),
    db
      .delete(completions)
      .where(sql`(${completions.teamId}, ${completions.id}) in (${expired})`)
      .returning({ id: completions.id }),
  ]);
  return results[3].length;
}

/**
 * Deletes up to `limit` tombstones and orphaned spool pieces older than `cutoffMs`: once no write
 * can still be pending (queue messages live at most 14 days), they guard nothing. Both tables stay
 * small (one row per deleted completion), so they are scanned rather than indexed.
 */
export async function purgeStaleGuards(db: Db, cutoffMs: number, limit = RETENTION_BATCH): Promise<number> {
  const [tombstones, spool] = await db.batch([
    db
      .delete(completionTombstones)
      .where(sql`rowid in (select rowid from completion_tombstones where deleted_at < ${cutoffMs} limit ${limit})`)
      .returning({ id: completionTombstones.completionId }),
    db
      .delete(writeSpool)
      .where(sql`rowid in (select rowid from write_spool where spooled_at < ${cutoffMs} limit ${limit})`)
      .returning({ id: writeSpool.completionId }),
  ]);
  return tombstones.length + spool.length;
}

/**
 * Deletes the next rows of a deleted team, at most `statements` statements of TEAM_PURGE_ROWS rows
 * each, table by table (TEAM_TABLES), and the team itself once nothing else is left. Returns true
 * when the team is gone.
 */
export async function purgeTeamBatch(db: Db, teamId: string, statements: number, rows = TEAM_PURGE_ROWS): Promise<boolean> {
  let budget = statements;
  for (const table of TEAM_TABLES) {
    for (;;) {
      if (budget-- <= 0) return false;
      const result = await db.run(sql`delete from ${table} where rowid in (select rowid from ${table} where team_id = ${teamId} limit ${rows})`);
      if ((result.meta.changes ?? 0) < rows) break;
    }
  }
  await db.delete(teams).where(and(eq(teams.id, teamId), isNotNull(teams.deletedAt)));
  return true;
}

/** Teams that are deleted but still have rows (the cron's backstop for the queue). */
export function deletedTeamIds(db: Db, limit: number): Promise<{ id: string }[]> {
  return db.select({ id: teams.id }).from(teams).where(isNotNull(teams.deletedAt)).limit(limit).all();
}
