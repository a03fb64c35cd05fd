import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { writeSpool } from "./schema";

// A completion too large for one queue message comes as pieces; they meet here (in the team's
// shard) until all have arrived.

/**
 * Keeps one piece, gated as the final write is (not for a team deleted, a completion deleted, or one
 * stored already). Returns the whole record's JSON once every piece is there, otherwise null.
 */
export async function spoolPiece(
  db: Db,
  piece: { teamId: string; completionId: string; piece: number; pieces: number; data: string },
  stored: { tid: number; id: string },
): Promise<string | null> {
  const { teamId, completionId } = piece;
  const d1 = db.$client;
  const [, spooled] = await d1.batch([
    d1
      .prepare(
        `insert into write_spool (team_id, completion_id, piece, pieces, data, spooled_at)
         select ?1, ?2, ?3, ?4, ?5, ?6
         where exists (select 1 from teams t where t.id = ?1 and t.deleted_at is null)
           and not exists (select 1 from completion_tombstones d where d.team_id = ?1 and d.completion_id = ?2)
           and not exists (select 1 from completion_index c where c.tid = ?7 and c.id = ?8)
         on conflict do nothing`,
      )
      .bind(teamId, completionId, piece.piece, piece.pieces, piece.data, Date.now(), stored.tid, stored.id),
    d1.prepare("select piece, data from write_spool where team_id = ?1 and completion_id = ?2 order by piece").bind(teamId, completionId),
  ]);
  const pieces = spooled.results as { piece: number; data: string }[];
  if (pieces.length < piece.pieces) return null;
  return pieces.map((p) => p.data).join("");
}

/** Removes a completion's pieces once it is written. */
export async function clearSpool(db: Db, teamId: string, completionId: string): Promise<void> {
  await db.delete(writeSpool).where(and(eq(writeSpool.teamId, teamId), eq(writeSpool.completionId, completionId)));
}

