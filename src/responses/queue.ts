import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { AppendConversationMessage, AppendConversationPieceMessage, StoreResponseMessage, StoreResponsePieceMessage } from "../queue/messages";
import { appendItems } from "./conversations-store";
import { spoolAppendPiece, spoolResponsePiece } from "./spool";
import { landQueuedResponse } from "./store";

/** Lands a response write or a conversation append (each whole or a piece) that came through the queue; both are idempotent. */
export async function handleResponseMessage(message: Message<StoreResponseMessage | StoreResponsePieceMessage | AppendConversationMessage | AppendConversationPieceMessage>, env: Env): Promise<void> {
  const body = message.body;
  await runQueueJob(
    [message],
    () => {
      if (body.kind === "store.response") return landQueuedResponse(env, body.teamId, body.responseId, body.record);
      if (body.kind === "store.response.piece") return spoolResponsePiece(env, body);
      if (body.kind === "conversation.append.piece") return spoolAppendPiece(env, body);
      return appendItems(env, body.teamId, body.conversationId, body.items);
    },
    (err, delaySeconds) => logEvent("warn", "response_write_retry", { team_id: body.teamId, kind: body.kind, attempts: message.attempts, delay_seconds: delaySeconds, error: describeError(err) }),
  );
}
