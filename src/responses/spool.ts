import { mintTimeOrderedId } from "../ids";
import type { AppendConversationPieceMessage, BackgroundMessage, StoreResponsePieceMessage } from "../queue/messages";
import { fitsOneMessage, piecesOf } from "../queue/pieces";
import { requireTeamStore } from "../store/shards";
import { appendItems } from "./conversations-store";
import { landQueuedResponse } from "./store";
import type { Item, StoredResponse } from "./types";

// A queued write too large for one message (a response whose body did not reach R2, a conversation
// append) comes back in pieces. They wait in the team's shard's write_spool, keyed by the response id or a minted
// append id (neither ever equals a completion id), until all are there; then the whole lands as a
// queued write does, and the pieces are removed. Landing is idempotent, so a failure between it and
// the removal is retried without harm.

interface Piece {
  teamId: string;
  key: string;
  piece: number;
  pieces: number;
  data: string;
}

/**
 * Keeps one piece where `gate` (an SQL condition on ?1, the team, ?2, the key, and ?7, `subject`)
 * allows it; returns the whole JSON once every piece is there, else null.
 */
async function collect(d1: D1Database, piece: Piece, gate: string, subject: string): Promise<string | null> {
  // Plain D1 statements: one round trip for the gated insert and the pieces there now.
  const [, spooled] = await d1.batch([
    d1
      .prepare(
        `insert into write_spool (team_id, completion_id, piece, pieces, data, spooled_at)
         select ?1, ?2, ?3, ?4, ?5, ?6 where ${gate}
         on conflict do nothing`,
      )
      .bind(piece.teamId, piece.key, piece.piece, piece.pieces, piece.data, Date.now(), subject),
    d1.prepare("select piece, data from write_spool where team_id = ?1 and completion_id = ?2 order by piece").bind(piece.teamId, piece.key),
  ]);
  const pieces = spooled.results as { piece: number; data: string }[];
  return pieces.length < piece.pieces ? null : pieces.map((p) => p.data).join("");
}

const removePieces = (d1: D1Database, teamId: string, key: string) => d1.prepare("delete from write_spool where team_id = ?1 and completion_id = ?2").bind(teamId, key).run();

/** A response's piece: not kept for a response already indexed, deleted, or of a deleted team. */
export async function spoolResponsePiece(env: Env, message: StoreResponsePieceMessage): Promise<void> {
  const { teamId, responseId } = message;
  const { d1 } = await requireTeamStore(env, teamId);
  const json = await collect(
    d1,
    { ...message, key: responseId },
    `exists (select 1 from teams t where t.id = ?1 and t.deleted_at is null)
           and not exists (select 1 from response_tombstones d where d.team_id = ?1 and d.response_id = ?7)
           and not exists (select 1 from responses r where r.team_id = ?1 and r.id = ?7)`,
    responseId,
  );
  if (json === null) return;
  await landQueuedResponse(env, teamId, responseId, JSON.parse(json) as StoredResponse);
  await removePieces(d1, teamId, responseId);
}

/** A conversation append's piece: not kept once the conversation is gone. */
export async function spoolAppendPiece(env: Env, message: AppendConversationPieceMessage): Promise<void> {
  const { teamId, conversationId, appendId } = message;
  const { d1 } = await requireTeamStore(env, teamId);
  const json = await collect(d1, { ...message, key: appendId }, "exists (select 1 from conversations c where c.team_id = ?1 and c.id = ?7)", conversationId);
  if (json === null) return;
  await appendItems(env, teamId, conversationId, JSON.parse(json) as Item[]);
  await removePieces(d1, teamId, appendId);
}

/** The messages that carry a queued conversation append: one if it fits, otherwise its items' JSON in pieces. */
export function appendMessages(teamId: string, conversationId: string, items: Item[]): BackgroundMessage[] {
  const whole: BackgroundMessage = { kind: "conversation.append", teamId, conversationId, items };
  if (fitsOneMessage(whole)) return [whole];
  const appendId = mintTimeOrderedId("append_");
  const pieces = piecesOf(JSON.stringify(items));
  return pieces.map((data, piece) => ({ kind: "conversation.append.piece", teamId, conversationId, appendId, piece, pieces: pieces.length, data }));
}
