import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";
import type { BackgroundMessage } from "../../src/queue/messages";

export const QUEUE = "llm-gateway-background";
export const DEAD_LETTER_QUEUE = "llm-gateway-background-dlq";
/** As in wrangler.toml: after this many retries, the queue moves a message to the dead-letter queue. */
export const MAX_RETRIES = 10;
/** Cloudflare Queues refuse a message larger than 128 KB. */
export const MAX_MESSAGE_BYTES = 128_000;

export interface Sent {
  body: BackgroundMessage;
  bytes: number;
}

/** The store's and the team purge's kinds; usage events have their own tests (test/helpers/usage.ts). */
export const STORE_KINDS: BackgroundMessage["kind"][] = ["store.completion", "store.completion.piece", "team.purge"];

/**
 * A queue binding that keeps what is sent of the given kinds, and refuses what Cloudflare would
 * (too large), whatever its kind.
 */
export function capturingQueue(kinds: BackgroundMessage["kind"][] = STORE_KINDS): { queue: Queue<BackgroundMessage>; sent: Sent[] } {
  const sent: Sent[] = [];
  const keep = (body: BackgroundMessage) => {
    const bytes = new TextEncoder().encode(JSON.stringify(body)).length;
    if (bytes > MAX_MESSAGE_BYTES) throw new Error(`Queue send failed: message length of ${bytes} bytes exceeds limit of ${MAX_MESSAGE_BYTES}`);
    if (kinds.includes(body.kind)) sent.push({ body: structuredClone(body), bytes });
  };
  const queue = {
    send: async (body: BackgroundMessage) => keep(body),
    sendBatch: async (messages: Iterable<MessageSendRequest<BackgroundMessage>>) => {
      for (const message of messages) keep(message.body);
    },
  } as unknown as Queue<BackgroundMessage>;
  return { queue, sent };
}

let counter = 0;

/**
 * Delivers everything `sent` holds (and whatever the consumer sends meanwhile) to the worker's
 * queue handler, as Cloudflare would: a retried message comes back with one more attempt, and after
 * MAX_RETRIES it goes to the dead-letter queue's consumer instead. Returns the dead messages.
 */
export async function drainQueue(sent: Sent[], bindings: Partial<Cloudflare.Env> = {}, maxRounds = 100): Promise<{ rounds: number; dead: BackgroundMessage[] }> {
  const workerEnv = { ...env, ...bindings } as Cloudflare.Env;
  let pending = sent.splice(0).map((s) => ({ id: `msg-${++counter}`, timestamp: new Date(), attempts: 1, body: s.body }));
  const dead: BackgroundMessage[] = [];
  let rounds = 0;
  while (pending.length > 0) {
    if (++rounds > maxRounds) throw new Error(`queue not drained after ${maxRounds} rounds`);
    const delivering = pending.splice(0, 100);
    const batch = createMessageBatch<BackgroundMessage>(QUEUE, delivering);
    const ctx = createExecutionContext();
    await worker.queue(batch, workerEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    const retried = new Set(result.retryMessages.map((m: { msgId: string }) => m.msgId));
    for (const message of delivering) {
      if (!retried.has(message.id) && !result.retryBatch.retry) continue;
      if (message.attempts > MAX_RETRIES) {
        dead.push(message.body);
        const deadBatch = createMessageBatch<BackgroundMessage>(DEAD_LETTER_QUEUE, [{ ...message, attempts: 1 }]);
        const deadCtx = createExecutionContext();
        await worker.queue(deadBatch, workerEnv, deadCtx);
        await getQueueResult(deadBatch, deadCtx);
      } else {
        pending.push({ ...message, attempts: message.attempts + 1 });
      }
    }
    pending.push(...sent.splice(0).map((s) => ({ id: `msg-${++counter}`, timestamp: new Date(), attempts: 1, body: s.body })));
  }
  return { rounds, dead };
}
