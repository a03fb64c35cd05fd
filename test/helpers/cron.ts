import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";

/** Runs the worker's Cron Trigger once, as Cloudflare would every five minutes. */
export async function runCron(bindings: Partial<Cloudflare.Env> = {}): Promise<void> {
  const controller = createScheduledController({ scheduledTime: new Date(), cron: "*/5 * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, { ...env, ...bindings } as Cloudflare.Env, ctx);
  await waitOnExecutionContext(ctx);
}
