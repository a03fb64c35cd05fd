import type { BackgroundMessage } from "./messages";

/**
 * How long a message waits for others before its batch goes. Only waitUntil time: the client's
 * answer never waits for it.
 */
export const COALESCE_MS = 20;
/** sendBatch takes 100 messages and 256 KB; a batch stops well short of both for small records. */
const MAX_BATCH = 50;

type Waiting = { body: BackgroundMessage; onFailure: (err: unknown) => void };

// One open batch per queue binding in this isolate.
const open = new WeakMap<Queue<BackgroundMessage>, Waiting[]>();

/**
 * Sends one small message (a request's usage record) in a batch with the others this isolate
 * sends within COALESCE_MS: one queue call for many requests, where a send per request was most
 * of what counting usage cost. The request that opens a batch sends it: the promise it gets
 * settles once the batch is on the queue, and it keeps that promise in waitUntil, which keeps the
 * batch's messages as safe as a lone send would. A request whose message joins a batch gets a
 * settled promise: a promise settled from another request's context costs more than the send it
 * saves. A batch the queue refuses (too large, say) goes again message by message, and
 * `onFailure` gets each message's own error, so one message's failure is never another's.
 */
export function sendCoalesced(queue: Queue<BackgroundMessage>, body: BackgroundMessage, onFailure: (err: unknown) => void): Promise<void> {
  const batch = open.get(queue);
  if (batch) {
    batch.push({ body, onFailure });
    return batch.length >= MAX_BATCH ? flush(queue, batch) : Promise.resolve();
  }
  const started: Waiting[] = [{ body, onFailure }];
  open.set(queue, started);
  // scheduler.wait, not setTimeout: a test's fake clock must not hold other requests' usage.
  return scheduler.wait(COALESCE_MS).then(() => flush(queue, started));
}

async function flush(queue: Queue<BackgroundMessage>, batch: Waiting[]): Promise<void> {
  if (open.get(queue) !== batch) return; // flushed already, when it filled up
  open.delete(queue);
  try {
    await queue.sendBatch(batch.map(({ body }) => ({ body, contentType: "json" as const })));
  } catch {
    await Promise.all(batch.map(({ body, onFailure }) => queue.send(body, { contentType: "json" }).catch(onFailure)));
  }
}
