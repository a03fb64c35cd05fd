import { ConfigError, readConfig } from "../config";
import { startInlineMigration } from "../completion-store/migrate-inline";
import { purgeExpiredCompletions } from "../completion-store/retention";
import { purgeSessions } from "../console/sessions";
import { logEvent } from "../log";
import { sweepDeletedTeams } from "../teams/purge";
import { purgeExpiredUsage } from "../usage/record-usage";

/** The Cron Trigger's entry point: the retention purge, the sweep of deleted teams, and old usage rows and console sessions. */
export async function runScheduledJobs(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  let config;
  try {
    config = readConfig(env);
  } catch (err) {
    // Never purge with a guessed retention: readConfig has logged what is wrong.
    if (err instanceof ConfigError) return logEvent("error", "scheduled_jobs_skipped", { variable: err.variable });
    throw err;
  }
  // R2's day prefixes are swept in the first run of each hour: finding them lists every team's
  // prefix (class A operations), and a day only expires once a day.
  await purgeExpiredCompletions(env, config.store, { sweepBodies: new Date(controller.scheduledTime).getUTCMinutes() < 5 });
  await sweepDeletedTeams(env);
  await startInlineMigration(env);
  await purgeExpiredUsage(env, Math.floor(controller.scheduledTime / 1000));
  await purgeSessions(env.DB, Math.floor(controller.scheduledTime / 1000));
}
