import { createDb } from "../db/client";
import { spoolPiece } from "../db/completion-writes";
import { completionsRepository } from "../db/completions";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { StoreCompletionMessage, StoreCompletionPieceMessage } from "../queue/messages";
import type { NewStoredCompletion } from "../db/types";

/**
 * Lands a completion write that came through the queue. Writes are idempotent, so a message
 * delivered twice, or a write whose first try landed after its timeout, stores nothing twice.
 * A failure is retried with backoff; past max_retries (wrangler.toml) the queue moves the message
 * to the dead-letter queue, whose consumer logs it.
 */
export async function handleStoreMessage(message: Message<StoreCompletionMessage | StoreCompletionPieceMessage>, env: Env): Promise<void> {
  const body = message.body;
  await runQueueJob(
    [message],
    async () => {
      if (body.kind === "store.completion") {
        await completionsRepository(env.DB).insertMany([body.record]);
      } else {
        await spoolPiece(createDb(env.DB), body, (json) => JSON.parse(json) as NewStoredCompletion);
      }
    },
    (err, delaySeconds) =>
      logEvent("warn", "store_write_retry", { team_id: body.teamId, completion_id: body.completionId, attempts: message.attempts, delay_seconds: delaySeconds, error: describeError(err) }),
  );
}
