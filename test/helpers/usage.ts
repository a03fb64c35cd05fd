import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import type { BackgroundMessage } from "../../src/queue/messages";

/** A stand-in for BACKGROUND_QUEUE that keeps what is sent, so a test can deliver it when it chooses. */
export function captureQueue() {
  const messages: BackgroundMessage[] = [];
  /** The delay each send asked for, by message (undefined: none). */
  const delays: (number | undefined)[] = [];
  const queue = {
    async send(body: BackgroundMessage, options?: QueueSendOptions) {
      messages.push(structuredClone(body));
      delays.push(options?.delaySeconds);
    },
    async sendBatch(batch: Iterable<MessageSendRequest<BackgroundMessage>>) {
      for (const entry of batch) {
        messages.push(structuredClone(entry.body));
        delays.push(entry.delaySeconds);
      }
    },
  } as unknown as Queue<BackgroundMessage>;
  return { queue, messages, delays, env: { BACKGROUND_QUEUE: queue } };
}

let delivery = 0;

/** Delivers messages to the worker's queue handler as one batch; returns what it acked and retried. */
export async function deliver(messages: BackgroundMessage[], ids?: string[]) {
  const batchNo = ++delivery;
  const batch = createMessageBatch<BackgroundMessage>(
    "llm-gateway-background",
    messages.map((body, i) => ({ id: ids?.[i] ?? `msg-${batchNo}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  await waitOnExecutionContext(ctx);
  return getQueueResult(batch, ctx);
}
