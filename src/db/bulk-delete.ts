import { and, eq, isNotNull, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { responses, responseTombstones } from "./responses-schema";
import { completionTombstones, teams, teamStore, writeSpool } from "./schema";
import { CONTROL_TEAM_TABLES, TEAM_TABLES, TID_TABLES } from "./team-tables";

// Bulk deletes, always in bounded batches: every statement binds two or three parameters (D1
// allows 100) and touches a bounded number of rows, so that no statement nears D1's 30 s limit
// and a backlog of any size is worked off over several runs.

/** Rows deleted per statement by a team purge. */
export const TEAM_PURGE_ROWS = 1_000;
const GUARD_BATCH = 500;

/**
 * Deletes up to `limit` tombstones and orphaned spool pieces older than `cutoffMs`: once no write
 * can still be pending (queue messages live at most 14 days), they guard nothing. Both tables stay
 * small (one row per deleted completion), so they are scanned rather than indexed.
 */
export async function purgeStaleGuards(db: Db, cutoffMs: number, limit = GUARD_BATCH): Promise<number> {
  const [tombstones, spool, responseGuards] = await db.batch([
    db
      .delete(completionTombstones)
      .where(sql`rowid in (select rowid from completion_tombstones where deleted_at < ${cutoffMs} limit ${limit})`)
      .returning({ id: completionTombstones.completionId }),
    db
      .delete(writeSpool)
      .where(sql`rowid in (select rowid from write_spool where spooled_at < ${cutoffMs} limit ${limit})`)
      .returning({ id: writeSpool.completionId }),
    db
      .delete(responseTombstones)
      .where(sql`rowid in (select rowid from response_tombstones where deleted_at < ${cutoffMs} limit ${limit})`)
      .returning({ id: responseTombstones.responseId }),
  ]);
  return tombstones.length + spool.length + responseGuards.length;
}

/** The R2 keys of up to `limit` responses stored before `cutoffMs`, oldest first, with what deletes their index rows. */
export async function expiredResponses(db: Db, cutoffMs: number, limit: number): Promise<{ bodyKeys: string[]; deleteRows: () => Promise<void> }> {
  const rows = await db
    .select({ teamId: responses.teamId, id: responses.id, bodyKey: responses.bodyKey })
    .from(responses)
    .where(lt(responses.storedAt, cutoffMs))
    .orderBy(responses.storedAt)
    .limit(limit)
    .all();
  // The keys of the batch travel as one JSON parameter (D1 binds at most 100).
  const keys = JSON.stringify(rows.map((row) => [row.teamId, row.id]));
  return {
    bodyKeys: rows.map((row) => row.bodyKey),
    deleteRows: async () => {
      if (rows.length > 0) await db.run(sql`delete from responses where (team_id, id) in (select j.value ->> 0, j.value ->> 1 from json_each(${keys}) j)`);
    },
  };
}

/**
 * Deletes the next rows of a deleted team from its shard (`shard`), then its keys and console
 * sessions from the control database: at most `statements` statements of `rows` rows each, table by table. Returns true when
 * none are left (the team's R2 prefix and its own rows go after, see finishTeamPurge).
 */
export async function purgeTeamRows(control: Db, shard: Db, teamId: string, tid: number | null, statements: number, rows = TEAM_PURGE_ROWS): Promise<boolean> {
  let budget = statements;
  const steps: [Db, SQLiteTable, SQL][] = [
    ...TEAM_TABLES.map((table): [Db, SQLiteTable, SQL] => [shard, table, sql`team_id = ${teamId}`]),
    ...(tid === null ? [] : TID_TABLES.map((table): [Db, SQLiteTable, SQL] => [shard, table, sql`tid = ${tid}`])),
    ...CONTROL_TEAM_TABLES.map((table): [Db, SQLiteTable, SQL] => [control, table, sql`team_id = ${teamId}`]),
  ];
  for (const [db, table, mine] of steps) {
    for (;;) {
      if (budget-- <= 0) return false;
      // WITHOUT ROWID tables have no rowid: their batch is picked by their key.
      const result = TID_TABLES.includes(table as (typeof TID_TABLES)[number])
        ? await db.run(sql`delete from ${table} where (tid, id) in (select tid, id from ${table} where ${mine} limit ${rows})`)
        : await db.run(sql`delete from ${table} where rowid in (select rowid from ${table} where ${mine} limit ${rows})`);
      if ((result.meta.changes ?? 0) < rows) break;
    }
  }
  return true;
}

/** Last step of a team purge: its shard map row, its mirror in its shard, and the team itself. */
export async function finishTeamPurge(control: Db, shard: Db, teamId: string): Promise<void> {
  if (shard !== control) await shard.delete(teams).where(eq(teams.id, teamId));
  await control.batch([control.delete(teamStore).where(eq(teamStore.teamId, teamId)), control.delete(teams).where(and(eq(teams.id, teamId), isNotNull(teams.deletedAt)))]);
}

/** Teams that are deleted but still have rows (the cron's backstop for the queue). */
export function deletedTeamIds(db: Db, limit: number): Promise<{ id: string }[]> {
  return db.select({ id: teams.id }).from(teams).where(isNotNull(teams.deletedAt)).limit(limit).all();
}
