import { createDb } from "../db/client";
import { UsageRepository } from "../db/usage";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { UsageMessage } from "../queue/messages";

/**
 * The queue consumer's part for usage: one D1 batch for the whole delivery. Queues deliver at least
 * once; the repository counts an event id once, so a redelivered message is acked without effect.
 * If the write fails, every message is retried (the queue's max_retries, then its dead-letter queue).
 */
export async function recordUsageMessages(env: Env, messages: Message<UsageMessage>[]): Promise<void> {
  if (messages.length === 0) return;
  await runQueueJob(
    messages,
    () => new UsageRepository(createDb(env.DB)).record(messages.map((m) => m.body.event)),
    (err) => logEvent("error", "usage_write_failed", { messages: messages.length, error: describeError(err) }),
  );
}

/** The cron's part for usage: old event rows and minute rollups go. */
export async function purgeExpiredUsage(env: Env, nowSeconds: number): Promise<void> {
  await new UsageRepository(createDb(env.DB)).purgeExpired(nowSeconds);
}
