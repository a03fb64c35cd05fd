import { retryDelaySeconds } from "../queue/job";
import { describeError, logEvent } from "../log";
import type { AppendConversationMessage, StoreResponseMessage } from "../queue/messages";
import { appendItems } from "./conversations-store";
import { landResponse } from "./store";

/** Lands a response write or a conversation append that came through the queue; both are idempotent. */
export async function handleResponseMessage(message: Message<StoreResponseMessage | AppendConversationMessage>, env: Env): Promise<void> {
  const body = message.body;
  try {
    if (body.kind === "store.response") await landResponse(env, body.teamId, body.record);
    else await appendItems(env, body.teamId, body.conversationId, body.items);
    message.ack();
  } catch (err) {
    const delaySeconds = retryDelaySeconds(message.attempts);
    logEvent("warn", "response_write_retry", { team_id: body.teamId, kind: body.kind, attempts: message.attempts, delay_seconds: delaySeconds, error: describeError(err) });
    message.retry({ delaySeconds });
  }
}
