import type { StoreConfig } from "../config/store";
import { completionIndexOf } from "../db/completion-index";
import { expiredResponses, purgeStaleGuards } from "../db/bulk-delete";
import { logEvent } from "../log";
import { bodyStore, DAY_MS, dayStartOf } from "../store/bodies";
import { dbOf, shardDatabases } from "../store/shards";

/**
 * Batches per shard and cron run: 20 × 500 = 10,000 completions every 5 minutes (2.9 million a
 * day), so a run stays far from D1's limits (1,000 queries per invocation, 30 s per statement) and a
 * larger backlog goes over the next runs.
 */
export const RETENTION_BATCHES_PER_RUN = 20;
export const RETENTION_BATCH = 500;
/** Pages of 1,000 R2 keys deleted per run (R2 deletes are free; listing is a class A operation). */
export const BODY_PAGES_PER_RUN = 20;
/** Tombstones and spool pieces outlive any write that could still be pending (queue messages live at most 14 days). */
const GUARD_KEEP_MS = 14 * 24 * 3_600_000;

/**
 * Deletes completions and responses stored more than `retentionDays` ago (0 keeps them forever), in
 * every shard, and (when `sweepBodies`) the R2 day prefixes that have wholly expired (bodies, shared
 * message segments, and any orphan body whose index write never landed). Returns how many completion
 * index rows went.
 */
export async function purgeExpiredCompletions(
  env: Env,
  store: StoreConfig,
  { now = Date.now(), batches = RETENTION_BATCHES_PER_RUN, sweepBodies = true }: { now?: number; batches?: number; sweepBodies?: boolean } = {},
): Promise<number> {
  let purged = 0;
  let responses = 0;
  // A shard whose expired rows are not all gone yet keeps the R2 sweep for a later run: bodies never go before their rows.
  let backlog = false;
  for (const d1 of shardDatabases(env)) {
    const db = dbOf(d1);
    if (store.retentionDays > 0) {
      const cutoff = now - store.retentionDays * DAY_MS;
      for (let i = 0; i < batches; i++) {
        const deleted = await completionIndexOf(db).purgeExpiredBatch(cutoff, RETENTION_BATCH);
        purged += deleted.length;
        if (deleted.length < RETENTION_BATCH) break;
        if (i === batches - 1) backlog = true;
      }
      // A pack goes with its R2 day, once all of that day has expired: until then it holds kept rows' answers.
      // (A pack row left for a later run holds nothing back: a list of a pack that is gone reads its rows alone.)
      for (let i = 0; i < batches; i++) {
        if ((await completionIndexOf(db).purgePacksBefore(dayStartOf(cutoff), RETENTION_BATCH)) < RETENTION_BATCH) break;
      }
      for (let i = 0; i < batches; i++) {
        // A response is read from R2 by its key alone, without its index row: its body goes at once,
        // before the row, rather than with its day prefix.
        const expired = await expiredResponses(db, cutoff, RETENTION_BATCH);
        await bodyStore(env.BODIES).delete(expired.bodyKeys);
        await expired.deleteRows();
        responses += expired.bodyKeys.length;
        if (expired.bodyKeys.length < RETENTION_BATCH) break;
      }
    }
    await purgeStaleGuards(db, now - GUARD_KEEP_MS);
  }
  let bodies = 0;
  if (store.retentionDays > 0 && sweepBodies && !backlog) bodies = await bodyStore(env.BODIES).deleteExpiredDays(now - store.retentionDays * DAY_MS, BODY_PAGES_PER_RUN);
  if (purged > 0 || responses > 0 || bodies > 0) logEvent("info", "retention_purged", { completions: purged, responses, r2_objects: bodies, retention_days: store.retentionDays });
  return purged;
}
