import { and, eq, isNull } from "drizzle-orm";
import { deletedTeamIds, finishTeamPurge, purgeTeamRows } from "../db/bulk-delete";
import { teams } from "../db/schema";
import { bodyStore } from "../store/bodies";
import { dbOf, teamStore } from "../store/shards";
import { clearTeamLimits } from "../limits/clear";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { BackgroundMessage, PurgeTeamMessage } from "../queue/messages";

// A deleted team's data is removed in bounded batches in the background: a queue message deletes
// one batch (its shard's rows, its keys, then its R2 prefix) and sends itself again until nothing is
// left; the cron sweeps any team a lost message left behind.

/** Statements per queue message (each of at most TEAM_PURGE_ROWS rows): well under D1's 1,000 queries per invocation. */
const TEAM_PURGE_STATEMENTS = 20;
/** Pages of 1,000 R2 keys deleted per queue message. */
const TEAM_PURGE_BODY_PAGES = 10;

/** Marks the team deleted in its shard too (shard 0's row is the control row), so that no late write of it lands there. */
async function markDeletedInShard(env: Env, teamId: string): Promise<void> {
  const store = await teamStore(env, teamId);
  if (store && store.shard !== 0) await store.db.update(teams).set({ deletedAt: Math.floor(Date.now() / 1000) }).where(and(eq(teams.id, teamId), isNull(teams.deletedAt)));
}

/** One bounded step of a team purge; true once the team is gone. */
async function purgeStep(env: Env, teamId: string): Promise<boolean> {
  await markDeletedInShard(env, teamId);
  const control = dbOf(env.DB);
  const store = await teamStore(env, teamId);
  const shard = store?.db ?? control;
  if (!(await purgeTeamRows(control, shard, teamId, store?.tid ?? null, TEAM_PURGE_STATEMENTS))) return false;
  if (store && !(await bodyStore(env.BODIES).deleteTeam(store.tid, TEAM_PURGE_BODY_PAGES))) return false;
  await finishTeamPurge(control, shard, teamId);
  return true;
}

export async function startTeamPurge(env: Env, teamId: string): Promise<void> {
  try {
    await clearTeamLimits(env, teamId);
  } catch (err) {
    // The keys are revoked already; counters of a team that can make no request harm nothing.
    logEvent("warn", "team_limits_not_cleared", { team_id: teamId, error: describeError(err) });
  }
  try {
    await markDeletedInShard(env, teamId);
  } catch (err) {
    // The purge marks it again before deleting anything.
    logEvent("warn", "team_shard_not_marked", { team_id: teamId, error: describeError(err) });
  }
  try {
    await env.BACKGROUND_QUEUE.send({ kind: "team.purge", teamId } satisfies BackgroundMessage, { contentType: "json" });
  } catch (err) {
    // The cron's sweep finds the team anyway.
    logEvent("warn", "team_purge_not_queued", { team_id: teamId, error: describeError(err) });
  }
}

export async function handlePurgeTeamMessage(message: Message<PurgeTeamMessage>, env: Env): Promise<void> {
  const { teamId } = message.body;
  await runQueueJob(
    [message],
    async () => {
      const done = await purgeStep(env, teamId);
      if (done) logEvent("info", "team_purged", { team_id: teamId });
      else await env.BACKGROUND_QUEUE.send({ kind: "team.purge", teamId } satisfies BackgroundMessage, { contentType: "json" });
    },
    (err) => logEvent("warn", "team_purge_retry", { team_id: teamId, attempts: message.attempts, error: describeError(err) }),
  );
}

/** The cron's backstop: one bounded batch for each of a few deleted teams. */
export async function sweepDeletedTeams(env: Env, teamsPerRun = 5): Promise<void> {
  for (const { id } of await deletedTeamIds(dbOf(env.DB), teamsPerRun)) {
    if (await purgeStep(env, id)) logEvent("info", "team_purged", { team_id: id });
  }
}
