import { describeError, logEvent } from "../log";
import type { BackgroundMessage } from "../queue/messages";
import { fitsOneMessage, piecesOf, sendInOrder } from "../queue/pieces";
import { forgetPending, landed, queued, trackPending } from "./pending";
import { completionStore } from "./repository";
import type { NewStoredCompletion } from "../db/types";

// A stored completion is written (R2 body, then D1 index row) in waitUntil, right after the answer (docs/contract.md, docs/durability.md). If that fails or
// takes too long, the write goes to the background queue, which retries it until it lands.

/** How long the write in waitUntil may take before the queue takes over (waitUntil ends 30 s after the answer). */
const WRITE_TIMEOUT_MS = 5_000;
/** The messages that carry `record`: one if it fits, otherwise its JSON in pieces. */
function writeMessages(record: NewStoredCompletion): BackgroundMessage[] {
  const whole: BackgroundMessage = { kind: "store.completion", teamId: record.teamId, completionId: record.id, record };
  if (fitsOneMessage(whole)) return [whole];
  const pieces = piecesOf(JSON.stringify(record));
  return pieces.map((data, piece) => ({ kind: "store.completion.piece", teamId: record.teamId, completionId: record.id, piece, pieces: pieces.length, data }));
}

class WriteTimeout extends Error {
  constructor() {
    super(`the D1 write took longer than ${WRITE_TIMEOUT_MS} ms`);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new WriteTimeout()), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Writes a completion, for waitUntil. Never throws: a write that fails goes to the queue (a write
 * that timed out may still land; the queue's is then a no-op), and only if the queue refuses it too
 * is it lost, with an error line naming the team and the id.
 */
export async function writeCompletion(env: Env, record: NewStoredCompletion): Promise<void> {
  trackPending(record);
  const ids = { team_id: record.teamId, completion_id: record.id };
  try {
    await withTimeout(completionStore(env).insert(record), WRITE_TIMEOUT_MS);
    landed(record);
    return;
  } catch (err) {
    logEvent("warn", "store_write_queued", { ...ids, error: describeError(err) });
  }
  try {
    await sendInOrder(env.BACKGROUND_QUEUE, writeMessages(record));
    queued(record);
  } catch (err) {
    forgetPending(record.teamId, record.id);
    logEvent("error", "store_failed", { ...ids, error: describeError(err) });
  }
}
