import type { Bindings } from "../config";
import { logEvent } from "../log";
import { recordUsageMessages } from "../usage/record-usage";
import type { BackgroundMessage, UsageMessage } from "./messages";

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
  // Usage events are written together, in one D1 batch per delivery.
  const usage: Message<UsageMessage>[] = [];
  for (const message of batch.messages) {
    switch (message.body.kind) {
      case "noop":
        message.ack();
        break;
      case "usage":
        usage.push(message as Message<UsageMessage>);
        break;
      default:
        logEvent("error", "background_message_unknown", { id: message.id, kind: (message.body as { kind?: unknown }).kind });
        message.ack();
    }
  }
  await recordUsageMessages(env, usage);
}
