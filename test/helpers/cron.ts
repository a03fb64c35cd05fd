import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";

/**
 * Runs the worker's Cron Trigger once, as Cloudflare would every five minutes; by default as the
 * first run of the current hour, the one that also sweeps R2's expired day prefixes.
 */
export async function runCron(bindings: Partial<Cloudflare.Env> = {}, scheduledTime = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000)): Promise<void> {
  const controller = createScheduledController({ scheduledTime, cron: "*/5 * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, { ...env, ...bindings } as Cloudflare.Env, ctx);
  await waitOnExecutionContext(ctx);
}
