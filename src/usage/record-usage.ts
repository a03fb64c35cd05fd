import { UpstreamStatsRepository } from "../db/upstream-stats";
import { UsageRepository } from "../db/usage";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import { deliveredUsageEvent } from "./event";
import type { UpstreamOutcomeMessage, UsageMessage } from "../queue/messages";
import { dbOf, shardDatabases, teamStore } from "../store/shards";

type CountedMessage = Message<UsageMessage | UpstreamOutcomeMessage>;

const teamOf = (body: UsageMessage | UpstreamOutcomeMessage) => (body.kind === "usage" ? body.event.teamId : body.outcome.teamId);

/**
 * The queue consumer's part for usage and upstream outcomes: one D1 batch each per shard for the
 * whole delivery (a team's rows live in its shard). Queues deliver at least once; each repository
 * counts an id once, so a redelivered message (or a retry after only the first batch landed) is
 * acked without effect. If a shard's write fails, its messages are retried (the queue's max_retries,
 * then its dead-letter queue); other shards' are not held back.
 */
export async function recordUsageMessages(env: Env, messages: CountedMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const byShard = new Map<number, CountedMessage[]>();
  const unplaced: CountedMessage[] = [];
  try {
    for (const message of messages) {
      const store = await teamStore(env, teamOf(message.body));
      if (store) byShard.set(store.shard, [...(byShard.get(store.shard) ?? []), message]);
      else unplaced.push(message);
    }
  } catch (err) {
    // The shard map could not be read: every message is retried.
    return runQueueJob(messages, () => Promise.reject(err), (error) => logEvent("error", "usage_write_failed", { messages: messages.length, error: describeError(error) }));
  }
  // A team gone from the shard map is purged: its usage counts nowhere, as for any deleted team.
  await runQueueJob(unplaced, async () => {}, () => {});
  for (const [shard, group] of byShard) {
    const db = dbOf(shardDatabases(env)[shard]);
    const events = group.flatMap((m) => (m.body.kind === "usage" ? [deliveredUsageEvent(m.body.event)] : []));
    const outcomes = group.flatMap((m) => (m.body.outcome ? [m.body.outcome] : []));
    await runQueueJob(
      group,
      async () => {
        await new UsageRepository(db).record(events);
        await new UpstreamStatsRepository(db).record(outcomes);
      },
      (err) => logEvent("error", "usage_write_failed", { messages: group.length, shard, error: describeError(err) }),
    );
  }
}

/** The cron's part for usage: old event and outcome rows, and old minute rollups, go, in every shard. */
export async function purgeExpiredUsage(env: Env, nowSeconds: number): Promise<void> {
  for (const d1 of shardDatabases(env)) {
    const db = dbOf(d1);
    await new UsageRepository(db).purgeExpired(nowSeconds);
    await new UpstreamStatsRepository(db).purgeExpired(nowSeconds);
  }
}
