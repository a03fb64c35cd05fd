import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { StoreConfig } from "../config/store";
import { createDb } from "../db/client";
import { responses, responseTombstones } from "../db/responses-schema";
import { logEvent } from "../log";

/** Responses per batch (R2 deletes at most 1,000 keys a call), and batches per cron run. */
const BATCH = 500;
const BATCHES_PER_RUN = 20;
/** Tombstones outlive any write that could still be pending (queue messages live at most 14 days). */
const GUARD_KEEP_MS = 14 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/**
 * Deletes responses stored more than STORE_RETENTION_DAYS ago (0 keeps them), oldest first: their
 * bodies in R2, then their index rows. Returns how many went.
 */
export async function purgeExpiredResponses(env: Env, store: StoreConfig, now = Date.now()): Promise<number> {
  // Retention crosses every team: the shards are walked by the caller when there are several.
  const db = createDb(env.DB);
  let purged = 0;
  if (store.retentionDays > 0) {
    const cutoff = now - store.retentionDays * DAY_MS;
    for (let i = 0; i < BATCHES_PER_RUN; i++) {
      const expired = await db
        .select({ teamId: responses.teamId, id: responses.id, bodyKey: responses.bodyKey })
        .from(responses)
        .where(lt(responses.storedAt, cutoff))
        .orderBy(responses.storedAt, responses.teamId, responses.id)
        .limit(BATCH)
        .all();
      if (expired.length === 0) break;
      await env.BODIES.delete(expired.map((row) => row.bodyKey));
      const byTeam = new Map<string, string[]>();
      for (const row of expired) byTeam.set(row.teamId, [...(byTeam.get(row.teamId) ?? []), row.id]);
      for (const [teamId, ids] of byTeam) {
        for (let at = 0; at < ids.length; at += 90) await db.delete(responses).where(and(eq(responses.teamId, teamId), inArray(responses.id, ids.slice(at, at + 90))));
      }
      purged += expired.length;
      if (expired.length < BATCH) break;
    }
  }
  await db.delete(responseTombstones).where(sql`rowid in (select rowid from response_tombstones where deleted_at < ${now - GUARD_KEEP_MS} limit ${BATCH})`);
  if (purged > 0) logEvent("info", "retention_purged", { responses: purged, retention_days: store.retentionDays });
  return purged;
}
