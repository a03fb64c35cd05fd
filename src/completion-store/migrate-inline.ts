import type { Db } from "../db/client";
import { completionIndexOf } from "../db/completion-index";
import { deleteLegacyStatements, legacyIds, readLegacy } from "../db/legacy-completions";
import { compactId } from "../ids";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { BackgroundMessage, MigrateInlineMessage } from "../queue/messages";
import { bodyStore } from "../store/bodies";
import { dbOf, shardDatabases, teamStore } from "../store/shards";
import { completionKey } from "./keys";
import { completionStore } from "./repository";

// Completions stored inline in D1 before bodies moved to R2 keep working (their index rows say
// loc 0, and reads take their bodies from the old tables). This job moves them: a queue message
// moves one bounded batch of a shard and sends itself again until none are left; the cron starts
// it for any shard that still has some.

/** Inline completions moved per queue message: each is a few D1 statements and two R2 writes. */
export const MIGRATE_BATCH = 50;

/** The statements that drop one inline completion's rows, for a raw D1 batch (with the index update, which Drizzle does not build). */
const dropInline = (db: Db, teamId: string, id: string) =>
  deleteLegacyStatements(db, teamId, id).map((query) => {
    const { sql, params } = query.toSQL();
    return db.$client.prepare(sql).bind(...params);
  });

/** Moves up to `limit` inline completions of one shard to R2 and shrinks their rows; returns how many it handled. */
export async function migrateInlineBatch(env: Env, shard: number, limit = MIGRATE_BATCH): Promise<number> {
  const db = dbOf(shardDatabases(env)[shard]);
  const batch = await legacyIds(db, limit);
  for (const { teamId, id } of batch) {
    const store = await teamStore(env, teamId);
    const row = store ? await completionIndexOf(store.db).get(store.tid, compactId(id)) : null;
    const legacy = row?.loc === 0 ? await readLegacy(db, teamId, id) : null;
    if (store && row && legacy) {
      // Body first, then the row says where it is, in the same batch that drops the inline copy.
      const { bytes, conv } = await completionStore(env).writeBody(store, { id, storedAt: row.at, messages: legacy.messages, body: legacy.body, upstreamId: legacy.upstreamId });
      const [moved] = await db.$client.batch([
        db.$client.prepare("update completion_index set loc = 1, bytes = ?3, conv = ?4 where tid = ?1 and id = ?2 and loc = 0").bind(store.tid, row.id, bytes, conv),
        ...dropInline(db, teamId, id),
      ]);
      // Deleted since it was read: the object just written has no row; one moved meanwhile keeps its own.
      if (moved.meta.changes === 0 && !(await completionIndexOf(store.db).get(store.tid, row.id))) await bodyStore(env.BODIES).delete([completionKey(store.tid, row)]);
    } else {
      // Deleted, expired, or of a purged team: nothing refers to these rows any more.
      await db.$client.batch(dropInline(db, teamId, id));
    }
  }
  return batch.length;
}

export async function handleMigrateInlineMessage(message: Message<MigrateInlineMessage>, env: Env): Promise<void> {
  const { shard } = message.body;
  await runQueueJob(
    [message],
    async () => {
      const handled = await migrateInlineBatch(env, shard);
      if (handled === MIGRATE_BATCH) await env.BACKGROUND_QUEUE.send(message.body, { contentType: "json" });
      else logEvent("info", "inline_completions_moved", { shard });
    },
    (err) => logEvent("warn", "inline_move_retry", { shard, attempts: message.attempts, error: describeError(err) }),
  );
}

/** The cron's part: starts the job for every shard that still holds inline completions. */
export async function startInlineMigration(env: Env): Promise<void> {
  for (const [shard, d1] of shardDatabases(env).entries()) {
    if ((await d1.prepare("select 1 from completions limit 1").first()) === null) continue;
    await env.BACKGROUND_QUEUE.send({ kind: "store.migrate_inline", shard } satisfies BackgroundMessage, { contentType: "json" });
  }
}
