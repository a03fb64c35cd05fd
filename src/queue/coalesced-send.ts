import type { BackgroundMessage } from "./messages";

/** How long a message waits for others before its batch goes: waitUntil time only, never the client's. */
const COALESCE_MS = 20;
/** A batch this old was not sent by its opener (whose request died): the next message sends it. */
const STALE_MS = 5 * COALESCE_MS;
/** sendBatch takes 100 messages and 256 KB; a batch stops well short of both for small records. */
const MAX_BATCH = 50;

type Waiting = { body: BackgroundMessage; onFailure: (err: unknown) => void };
type Batch = { openedAt: number; messages: Waiting[] };

// One open batch per queue binding in this isolate (workerd hands every request the same binding).
const open = new WeakMap<Queue<BackgroundMessage>, Batch>();

/**
 * Sends a small message (a request's usage record) in one `sendBatch` with those this isolate sends
 * within COALESCE_MS. The request that opens a batch gets a promise of its sending, to keep in
 * waitUntil; one that joins gets a settled promise, since a promise settled from another request's
 * context costs workerd more than the send it saves. A refused batch goes again message by message,
 * and `onFailure` hears only of a message that fails alone.
 */
export function sendCoalesced(queue: Queue<BackgroundMessage>, body: BackgroundMessage, onFailure: (err: unknown) => void): Promise<void> {
  const batch = open.get(queue);
  if (batch) {
    batch.messages.push({ body, onFailure });
    const due = batch.messages.length >= MAX_BATCH || Date.now() - batch.openedAt > STALE_MS;
    return due ? flush(queue, batch) : Promise.resolve();
  }
  const started: Batch = { openedAt: Date.now(), messages: [{ body, onFailure }] };
  open.set(queue, started);
  // scheduler.wait, not setTimeout: a test's fake clock must not hold other requests' usage.
  return scheduler.wait(COALESCE_MS).then(() => flush(queue, started));
}

async function flush(queue: Queue<BackgroundMessage>, batch: Batch): Promise<void> {
  if (open.get(queue) !== batch) return; // sent already, when it filled up or went stale
  open.delete(queue);
  try {
    await queue.sendBatch(batch.messages.map(({ body }) => ({ body, contentType: "json" as const })));
  } catch {
    await Promise.allSettled(
      batch.messages.map(({ body, onFailure }) =>
        queue.send(body, { contentType: "json" }).catch((err) => {
          try {
            onFailure(err);
          } catch {
            // A failing logger must not keep the other messages' sender from finishing.
          }
        }),
      ),
    );
  }
}
