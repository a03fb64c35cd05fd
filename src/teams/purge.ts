import { createDb } from "../db/client";
import { deletedTeamIds, purgeTeamBatch } from "../db/bulk-delete";
import { clearTeamLimits } from "../limits/clear";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import { purgeTeamBodies } from "./purge-bodies";
import type { BackgroundMessage, PurgeTeamMessage } from "../queue/messages";

// A deleted team's data is removed in bounded batches in the background: a queue message deletes
// one batch and sends itself again until nothing is left; the cron sweeps any team a lost message
// left behind.

/** Statements per queue message (each of at most TEAM_PURGE_ROWS rows): well under D1's 1,000 queries per invocation. */
const TEAM_PURGE_STATEMENTS = 20;

export async function startTeamPurge(env: Env, teamId: string): Promise<void> {
  try {
    await clearTeamLimits(env, teamId);
  } catch (err) {
    // The keys are revoked already; counters of a team that can make no request harm nothing.
    logEvent("warn", "team_limits_not_cleared", { team_id: teamId, error: describeError(err) });
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
      // Bodies first: the team's rows are what the cron's sweep finds it by.
      const done = (await purgeTeamBodies(env.BODIES, teamId)) && (await purgeTeamBatch(createDb(env.DB), teamId, TEAM_PURGE_STATEMENTS));
      if (done) logEvent("info", "team_purged", { team_id: teamId });
      else await env.BACKGROUND_QUEUE.send({ kind: "team.purge", teamId } satisfies BackgroundMessage, { contentType: "json" });
    },
    (err) => logEvent("warn", "team_purge_retry", { team_id: teamId, attempts: message.attempts, error: describeError(err) }),
  );
}

/** The cron's backstop: one bounded batch for each of a few deleted teams. */
export async function sweepDeletedTeams(env: Env, teamsPerRun = 5): Promise<void> {
  const db = createDb(env.DB);
  for (const { id } of await deletedTeamIds(db, teamsPerRun)) {
    if ((await purgeTeamBodies(env.BODIES, id)) && (await purgeTeamBatch(db, id, TEAM_PURGE_STATEMENTS))) logEvent("info", "team_purged", { team_id: id });
  }
}
