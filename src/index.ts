import { app } from "./http/app";
import { runScheduledJobs } from "./jobs/cron";
import { handleQueueBatch } from "./jobs/queue-consumer";
import type { BackgroundMessage } from "./queue/messages";

// Every entry point of the worker; each hands its work to the module that owns it.
export default {
  fetch: app.fetch,
  queue: handleQueueBatch,
  scheduled: runScheduledJobs,
} satisfies ExportedHandler<Env, BackgroundMessage>;

export { TeamLimiter } from "./limits/team-limiter";
