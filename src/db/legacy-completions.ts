import { and, asc, eq } from "drizzle-orm";
import type { ChatCompletion } from "../schemas/openai";
import type { Db } from "./client";
import { completionMessages, completionMetadata, completions, payloadParts } from "./schema";

// Completions stored inline, before bodies moved to R2: read until the migration job has moved
// them (src/completion-store/migrate-inline.ts), then deleted. `slot` -1 of payload_parts is a
// body too large for one row; other slots are messages.

const BODY_SLOT = -1;

export interface LegacyCompletion {
  body: ChatCompletion;
  upstreamId: string | null;
  /** The input messages, as sent. */
  messages: string[];
}

/** One inline completion, whole, or null if it has no inline rows. */
export async function readLegacy(db: Db, teamId: string, id: string): Promise<LegacyCompletion | null> {
  const [rows, messages, parts] = await db.batch([
    db.select().from(completions).where(and(eq(completions.teamId, teamId), eq(completions.id, id))),
    db.select().from(completionMessages).where(and(eq(completionMessages.teamId, teamId), eq(completionMessages.completionId, id))).orderBy(asc(completionMessages.idx)),
    db
      .select()
      .from(payloadParts)
      .where(and(eq(payloadParts.teamId, teamId), eq(payloadParts.completionId, id)))
      .orderBy(asc(payloadParts.slot), asc(payloadParts.part)),
  ]);
  const row = rows[0];
  if (!row) return null;
  const joined = new Map<number, string>();
  for (const part of parts) joined.set(part.slot, (joined.get(part.slot) ?? "") + part.data);
  return {
    body: JSON.parse(row.body ?? joined.get(BODY_SLOT) ?? "{}") as ChatCompletion,
    upstreamId: row.upstreamId,
    messages: messages.map((m) => m.data ?? joined.get(m.idx) ?? "null"),
  };
}

/** Up to `limit` inline completions still to move, oldest first by rowid. */
export function legacyIds(db: Db, limit: number): Promise<{ teamId: string; id: string }[]> {
  return db.select({ teamId: completions.teamId, id: completions.id }).from(completions).limit(limit).all();
}

/** The statements that delete one inline completion's rows. */
export function deleteLegacyStatements(db: Db, teamId: string, id: string) {
  return [
    db.delete(payloadParts).where(and(eq(payloadParts.teamId, teamId), eq(payloadParts.completionId, id))),
    db.delete(completionMessages).where(and(eq(completionMessages.teamId, teamId), eq(completionMessages.completionId, id))),
    db.delete(completionMetadata).where(and(eq(completionMetadata.teamId, teamId), eq(completionMetadata.completionId, id))),
    db.delete(completions).where(and(eq(completions.teamId, teamId), eq(completions.id, id))),
  ] as const;
}
