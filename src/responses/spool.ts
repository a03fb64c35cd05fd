import { teamDb } from "../db/team-db";
import type { StoreResponsePieceMessage } from "../queue/messages";
import { landQueuedResponse } from "./store";
import type { StoredResponse } from "./types";

// A response too large for one queue message, whose body did not reach R2, comes back in pieces.
// They wait in write_spool (keyed by the response id, which never equals a completion id) until
// all are there; then the whole lands as a queued write does, and the pieces are removed.

/**
 * Keeps one piece; once every piece is there, lands the response and removes the pieces. Idempotent:
 * a piece of a response already indexed, deleted, or of a deleted team is not kept.
 */
export async function spoolResponsePiece(env: Env, piece: StoreResponsePieceMessage): Promise<void> {
  const { teamId, responseId } = piece;
  const d1 = teamDb(env, teamId);
  // Plain D1 statements, as the index write: one round trip for the check, the gated insert and the pieces there now.
  const [stored, , spooled] = await d1.batch([
    d1.prepare("select 1 from responses where team_id = ?1 and id = ?2").bind(teamId, responseId),
    d1
      .prepare(
        `insert into write_spool (team_id, completion_id, piece, pieces, data, spooled_at)
         select ?1, ?2, ?3, ?4, ?5, ?6
         where exists (select 1 from teams t where t.id = ?1 and t.deleted_at is null)
           and not exists (select 1 from response_tombstones d where d.team_id = ?1 and d.response_id = ?2)
           and not exists (select 1 from responses r where r.team_id = ?1 and r.id = ?2)
         on conflict do nothing`,
      )
      .bind(teamId, responseId, piece.piece, piece.pieces, piece.data, Date.now()),
    d1.prepare("select piece, data from write_spool where team_id = ?1 and completion_id = ?2 order by piece").bind(teamId, responseId),
  ]);
  if (stored.results.length > 0) return;
  const pieces = spooled.results as { piece: number; data: string }[];
  if (pieces.length < piece.pieces) return;
  const record = JSON.parse(pieces.map((p) => p.data).join("")) as StoredResponse;
  // Landing is idempotent, so a failure between it and the removal is retried without harm.
  await landQueuedResponse(env, teamId, responseId, record);
  await d1.prepare("delete from write_spool where team_id = ?1 and completion_id = ?2").bind(teamId, responseId).run();
}
