import { clearSpool, spoolPiece } from "../db/write-spool";
import type { NewStoredCompletion } from "../db/types";
import { compactId } from "../ids";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { StoreCompletionMessage, StoreCompletionPieceMessage } from "../queue/messages";
import { teamStore } from "../store/shards";
import { completionStore } from "./repository";

/**
 * Lands a completion write that came through the queue (its R2 body, then its D1 index row).
 * Writes are idempotent, so a message delivered twice, or a write whose first try landed after its
 * timeout, stores nothing twice. A failure of R2 or D1 is retried with backoff; past max_retries
 * (wrangler.toml) the queue moves the message to the dead-letter queue, whose consumer logs it.
 */
export async function handleStoreMessage(message: Message<StoreCompletionMessage | StoreCompletionPieceMessage>, env: Env): Promise<void> {
  const body = message.body;
  await runQueueJob(
    [message],
    async () => {
      if (body.kind === "store.completion") return completionStore(env).insert(body.record);
      const store = await teamStore(env, body.teamId);
      // A team gone from the shard map is purged: nothing of it is written.
      if (!store) return;
      const whole = await spoolPiece(store.db, body, { tid: store.tid, id: compactId(body.completionId) });
      if (whole === null) return;
      await completionStore(env).insert(JSON.parse(whole) as NewStoredCompletion);
      await clearSpool(store.db, body.teamId, body.completionId);
    },
    (err, delaySeconds) =>
      logEvent("warn", "store_write_retry", { team_id: body.teamId, completion_id: body.completionId, attempts: message.attempts, delay_seconds: delaySeconds, error: describeError(err) }),
  );
}
