import { and, eq } from "drizzle-orm";
import { readAfterWrite } from "../completion-store/pending";
import { readConfig } from "../config";
import { responses, responseTombstones } from "../db/responses-schema";
import { mintedAt } from "../ids";
import { describeError, logEvent } from "../log";
import type { BackgroundMessage } from "../queue/messages";
import { fitsOneMessage, piecesOf, sendInOrder } from "../queue/pieces";
import { bodyKey } from "../store/bodies";
import { requireTeamStore, type TeamStore } from "../store/shards";
import { forgetPendingResponse, holdPending, markPendingQueued, pendingResponse } from "./pending";
import type { StoredResponse } from "./types";

export type { StoredResponse };

// Stored responses: the body (the response, its resolved input, the upstream's own ids of reasoning
// items) is one R2 object under t/{tid}/{yyyy-mm-dd}/r/{id}, whose key follows from the team and
// the id alone, so a read needs no D1 call; the team's shard keeps the index (responses-schema.ts)
// for retention and deletion.

/** The R2 key of a response's body: in the team's prefix, under the day of its id, as every body (store/bodies.ts). */
export function responseBodyKey(tid: number, id: string): string {
  return bodyKey(tid, mintedAt(id) ?? 0, "r", id);
}

function indexRow({ teamId, tid }: TeamStore, record: StoredResponse, bytes: number) {
  const r = record.response;
  return {
    teamId,
    id: r.id as string,
    created: r.created_at as number,
    model: String(r.model ?? ""),
    status: String(r.status ?? "completed"),
    storedAt: mintedAt(r.id) ?? Date.now(),
    bodyKey: responseBodyKey(tid, r.id),
    bodyBytes: bytes,
    upstream: record.upstream,
    previousResponseId: r.previous_response_id ?? null,
    conversationId: r.conversation?.id ?? null,
  };
}

/**
 * Writes the index row unless the response was deleted (tombstone) or its team was; true when the
 * row is there afterwards. Idempotent: a retry of a landed write changes nothing.
 */
async function writeIndex({ d1 }: TeamStore, row: ReturnType<typeof indexRow>): Promise<boolean> {
  // Plain D1 statements: one round trip for the gated insert and the check that the row is there.
  const [, present] = await d1.batch([
    d1
      .prepare(
        `insert into responses (team_id, id, created, model, status, stored_at, body_key, body_bytes, upstream, previous_response_id, conversation_id)
         select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
         where exists (select 1 from teams t where t.id = ?1 and t.deleted_at is null)
           and not exists (select 1 from response_tombstones d where d.team_id = ?1 and d.response_id = ?2)
         on conflict do nothing`,
      )
      .bind(row.teamId, row.id, row.created, row.model, row.status, row.storedAt, row.bodyKey, row.bodyBytes, row.upstream, row.previousResponseId, row.conversationId),
    d1.prepare("select 1 from responses where team_id = ?1 and id = ?2").bind(row.teamId, row.id),
  ]);
  return present.results.length > 0;
}

/** Writes a response's body to R2. Throws on failure. */
async function putBody(env: Env, store: TeamStore, record: StoredResponse): Promise<number> {
  const json = JSON.stringify(record);
  await env.BODIES.put(responseBodyKey(store.tid, record.response.id), json, { httpMetadata: { contentType: "application/json" } });
  return json.length;
}

/** Writes the index of a response whose body is in R2; a deleted one's body is removed again. Throws on failure. */
async function landIndex(env: Env, store: TeamStore, record: StoredResponse, bytes: number): Promise<void> {
  if (!(await writeIndex(store, indexRow(store, record, bytes)))) await env.BODIES.delete(responseBodyKey(store.tid, record.response.id));
}

/**
 * Lands a write that came through the queue: the whole record, or (null) the index of a body
 * already in R2, read back from there. Idempotent.
 */
export async function landQueuedResponse(env: Env, teamId: string, responseId: string, record: StoredResponse | null): Promise<void> {
  const store = await requireTeamStore(env, teamId);
  if (record) return landIndex(env, store, record, await putBody(env, store, record));
  const object = await env.BODIES.get(responseBodyKey(store.tid, responseId));
  // Deleted meanwhile: nothing to index.
  if (!object) return;
  const text = await object.text();
  await landIndex(env, store, JSON.parse(text) as StoredResponse, text.length);
}

/** The messages that carry a queued write: one if it fits, otherwise the record's JSON in pieces. */
function writeMessages(teamId: string, responseId: string, record: StoredResponse | null): BackgroundMessage[] {
  const whole: BackgroundMessage = { kind: "store.response", teamId, responseId, record };
  if (record === null || fitsOneMessage(whole)) return [whole];
  const pieces = piecesOf(JSON.stringify(record));
  return pieces.map((data, piece) => ({ kind: "store.response.piece", teamId, responseId, piece, pieces: pieces.length, data }));
}

/**
 * Stores a response, for waitUntil. Never throws: a write that fails goes to the queue, which
 * retries it; only if the queue refuses it too is it lost, with an error line naming team and id.
 */
export async function saveResponse(env: Env, teamId: string, record: StoredResponse): Promise<void> {
  holdPending(teamId, record);
  const responseId = record.response.id as string;
  const ids = { team_id: teamId, response_id: responseId };
  let bodyLanded = false;
  try {
    const store = await requireTeamStore(env, teamId);
    const bytes = await putBody(env, store, record);
    bodyLanded = true;
    await landIndex(env, store, record, bytes);
    forgetPendingResponse(teamId, responseId);
    return;
  } catch (err) {
    logEvent("warn", "response_write_queued", { ...ids, body_landed: bodyLanded, error: describeError(err) });
  }
  try {
    // A body in R2 is not carried again: the message stays small whatever the response's size.
    await sendInOrder(env.BACKGROUND_QUEUE, writeMessages(teamId, responseId, bodyLanded ? null : record));
    markPendingQueued(teamId, responseId);
  } catch (err) {
    forgetPendingResponse(teamId, record.response.id);
    logEvent("error", "response_store_failed", { ...ids, error: describeError(err) });
  }
}

async function isDeleted(env: Env, teamId: string, id: string): Promise<boolean> {
  const { db } = await requireTeamStore(env, teamId);
  const row = await db
    .select({ id: responseTombstones.responseId })
    .from(responseTombstones)
    .where(and(eq(responseTombstones.teamId, teamId), eq(responseTombstones.responseId, id)))
    .get();
  return row !== undefined;
}

async function readBody(env: Env, teamId: string, id: string): Promise<StoredResponse | null> {
  const { tid } = await requireTeamStore(env, teamId);
  const object = await env.BODIES.get(responseBodyKey(tid, id));
  return object ? ((await object.json()) as StoredResponse) : null;
}

/** The team's stored response `id`, or null: unknown, deleted, never stored, or another team's. */
export async function loadResponse(env: Env, teamId: string, id: string): Promise<StoredResponse | null> {
  if (!id.startsWith("resp_") || mintedAt(id) === null) return null;
  const held = pendingResponse(teamId, id);
  if (held) {
    // A write in flight lands in milliseconds; one handed to the queue may take minutes, and another isolate may delete it meanwhile.
    if (!held.queued || !(await isDeleted(env, teamId, id))) return held.record;
    forgetPendingResponse(teamId, id);
    return null;
  }
  // A fresh id whose write has not landed yet is waited for, bounded; a tombstone ends the wait.
  return readAfterWrite(
    teamId,
    id,
    readConfig(env).idSecret,
    async () => pendingResponse(teamId, id)?.record ?? (await readBody(env, teamId, id)),
    () => isDeleted(env, teamId, id),
  );
}

/** Deletes a stored response (tombstone first, so a pending write cannot bring it back). False if there was none. */
export async function deleteResponse(env: Env, teamId: string, id: string): Promise<boolean> {
  const found = await loadResponse(env, teamId, id);
  if (!found) return false;
  const { db, tid } = await requireTeamStore(env, teamId);
  await db.batch([
    db.insert(responseTombstones).values({ teamId, responseId: id, deletedAt: Date.now() }).onConflictDoNothing(),
    db.delete(responses).where(and(eq(responses.teamId, teamId), eq(responses.id, id))),
  ]);
  forgetPendingResponse(teamId, id);
  await env.BODIES.delete(responseBodyKey(tid, id));
  return true;
}
