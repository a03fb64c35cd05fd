import type { Bindings } from "../config";

/** The Cron Trigger's entry point: the retention purge and the sweep of deleted teams. */
export async function runScheduledJobs(_controller: ScheduledController, _env: Bindings, _ctx: ExecutionContext): Promise<void> {}
