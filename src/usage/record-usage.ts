import { createDb } from "../db/client";
import { UsageRepository } from "../db/usage";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import { UpstreamStatsRepository } from "../db/upstream-stats";
import { deliveredUsageEvent } from "./event";
import type { UpstreamOutcomeMessage, UsageMessage } from "../queue/messages";

/**
 * The queue consumer's part for usage and upstream outcomes: one D1 batch each for the whole delivery.
 * Queues deliver at least once; each repository counts an id once, so a redelivered message (or a
 * retry after only the first batch landed) is acked without effect. If a write fails, every message
 * is retried (the queue's max_retries, then its dead-letter queue).
 */
export async function recordUsageMessages(env: Env, messages: Message<UsageMessage | UpstreamOutcomeMessage>[]): Promise<void> {
  if (messages.length === 0) return;
  const db = createDb(env.DB);
  const events = messages.flatMap((m) => (m.body.kind === "usage" ? [deliveredUsageEvent(m.body.event)] : []));
  const outcomes = messages.flatMap((m) => (m.body.outcome ? [m.body.outcome] : []));
  await runQueueJob(
    messages,
    async () => {
      await new UsageRepository(db).record(events);
      await new UpstreamStatsRepository(db).record(outcomes);
    },
    (err) => logEvent("error", "usage_write_failed", { messages: messages.length, error: describeError(err) }),
  );
}

/** The cron's part for usage: old event and outcome rows, and old minute rollups, go. */
export async function purgeExpiredUsage(env: Env, nowSeconds: number): Promise<void> {
  const db = createDb(env.DB);
  await new UsageRepository(db).purgeExpired(nowSeconds);
  await new UpstreamStatsRepository(db).purgeExpired(nowSeconds);
}
