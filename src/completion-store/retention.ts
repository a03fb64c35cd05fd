import type { StoreConfig } from "../config/store";
import { createDb } from "../db/client";
import { purgeExpiredBatch, purgeStaleGuards, RETENTION_BATCH } from "../db/bulk-delete";
import { logEvent } from "../log";

/**
 * Batches per cron run: 20 × 500 = 10,000 completions every 5 minutes (2.9 million a day), so a
 * run stays far from D1's limits (1,000 queries per invocation, 30 s per statement) and a larger
 * backlog goes over the next runs.
 */
const RETENTION_BATCHES_PER_RUN = 20;
/** Tombstones and spool pieces outlive any write that could still be pending (queue messages live at most 14 days). */
const GUARD_KEEP_MS = 14 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/** Deletes completions stored more than `retentionDays` ago (0 keeps them forever). Returns how many went. */
export async function purgeExpiredCompletions(d1: D1Database, store: StoreConfig, now = Date.now(), batches = RETENTION_BATCHES_PER_RUN): Promise<number> {
  const db = createDb(d1);
  let purged = 0;
  if (store.retentionDays > 0) {
    const cutoff = now - store.retentionDays * DAY_MS;
    for (let i = 0; i < batches; i++) {
      const deleted = await purgeExpiredBatch(db, cutoff, RETENTION_BATCH);
      purged += deleted;
      if (deleted < RETENTION_BATCH) break;
    }
  }
  await purgeStaleGuards(db, now - GUARD_KEEP_MS);
  if (purged > 0) logEvent("info", "retention_purged", { completions: purged, retention_days: store.retentionDays });
  return purged;
}
