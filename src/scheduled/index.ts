import type { Bindings } from "../config";
import { purgeExpiredUsage } from "../usage/record-usage";

/** The Cron Trigger's entry point: the retention purge and the sweep of deleted teams. */
export async function runScheduledJobs(controller: ScheduledController, env: Bindings, _ctx: ExecutionContext): Promise<void> {
  await purgeExpiredUsage(env, Math.floor(controller.scheduledTime / 1000));
}
