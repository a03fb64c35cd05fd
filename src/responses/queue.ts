import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { AppendConversationMessage, StoreResponseMessage } from "../queue/messages";
import { appendItems } from "./conversations-store";
import { landQueuedResponse } from "./store";

/** Lands a response write or a conversation append that came through the queue; both are idempotent. */
export async function handleResponseMessage(message: Message<StoreResponseMessage | AppendConversationMessage>, env: Env): Promise<void> {
  const body = message.body;
  await runQueueJob(
    [message],
    () => (body.kind === "store.response" ? landQueuedResponse(env, body.teamId, body.responseId, body.record) : appendItems(env, body.teamId, body.conversationId, body.items)),
    (err, delaySeconds) => logEvent("warn", "response_write_retry", { team_id: body.teamId, kind: body.kind, attempts: message.attempts, delay_seconds: delaySeconds, error: describeError(err) }),
  );
}
