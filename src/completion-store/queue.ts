import type { Bindings } from "../config";
import { createDb } from "../db/client";
import { spoolPiece } from "../db/completion-writes";
import { completionsRepository, type NewStoredCompletion } from "../db/completions";
import { describeError, logEvent } from "../log";
import type { StoreCompletionMessage, StoreCompletionPieceMessage } from "../queue/messages";

/** Backoff between queue retries of a write: 5 s, 10 s, 20 s… up to 10 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(5 * 2 ** Math.max(0, attempts - 1), 600);
}

/**
 * Lands a completion write that came through the queue. Writes are idempotent, so a message
 * delivered twice, or a write whose first try landed after its timeout, stores nothing twice.
 * A failure is retried with backoff; past max_retries (wrangler.toml) the queue moves the message
 * to the dead-letter queue, whose consumer logs it.
 */
export async function handleStoreMessage(message: Message<StoreCompletionMessage | StoreCompletionPieceMessage>, env: Bindings): Promise<void> {
  const body = message.body;
  try {
    if (body.kind === "store.completion") {
      await completionsRepository(env.DB).insertMany([body.record]);
    } else {
      await spoolPiece(createDb(env.DB), body, (json) => JSON.parse(json) as NewStoredCompletion);
    }
    message.ack();
  } catch (err) {
    const delaySeconds = retryDelaySeconds(message.attempts);
    logEvent("warn", "store_write_retry", { team_id: body.teamId, completion_id: body.completionId, attempts: message.attempts, delay_seconds: delaySeconds, error: describeError(err) });
    message.retry({ delaySeconds });
  }
}
