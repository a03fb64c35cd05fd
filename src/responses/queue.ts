import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { AppendConversationMessage, StoreResponseMessage, StoreResponsePieceMessage } from "../queue/messages";
import { appendItems } from "./conversations-store";
import { spoolResponsePiece } from "./spool";
import { landQueuedResponse } from "./store";

/** Lands a response write (whole or a piece) or a conversation append that came through the queue; both are idempotent. */
export async function handleResponseMessage(message: Message<StoreResponseMessage | StoreResponsePieceMessage | AppendConversationMessage>, env: Env): Promise<void> {
  const body = message.body;
  await runQueueJob(
    [message],
    () => {
      if (body.kind === "store.response") return landQueuedResponse(env, body.teamId, body.responseId, body.record);
      if (body.kind === "store.response.piece") return spoolResponsePiece(env, body);
      return appendItems(env, body.teamId, body.conversationId, body.items);
    },
    (err, delaySeconds) => logEvent("warn", "response_write_retry", { team_id: body.teamId, kind: body.kind, attempts: message.attempts, delay_seconds: delaySeconds, error: describeError(err) }),
  );
}
