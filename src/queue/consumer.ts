import type { Bindings } from "../config";
import { logEvent } from "../log";
import type { BackgroundMessage } from "./messages";

export const DEAD_LETTER_QUEUE = "llm-gateway-background-dlq";

/** The queue entry point: hands each message to the module that owns its kind. */
export async function handleQueueBatch(batch: MessageBatch<BackgroundMessage>, env: Bindings, _ctx: ExecutionContext): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) {
      logEvent("error", "background_message_dead", { id: message.id, attempts: message.attempts, body: message.body });
      message.ack();
    }
    return;
  }
  for (const message of batch.messages) {
    switch (message.body.kind) {
      case "noop":
        message.ack();
        break;
      default:
        logEvent("error", "background_message_unknown", { id: message.id, kind: (message.body as { kind?: unknown }).kind });
        message.ack();
    }
  }
  void env;
}
