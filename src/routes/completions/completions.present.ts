import type { ChatCompletion, StoredMessage } from "../../schemas/openai";
import type { NewStoredCompletion, StoredCompletion } from "../../db/types";

// How stored completions are shown through OpenAI's API.

export function presentCompletion(stored: StoredCompletion | NewStoredCompletion): ChatCompletion {
  return { ...stored.body, id: stored.id, metadata: stored.metadata };
}

function messageId(completionId: string, index: number): string {
  return `${completionId}-${index}`;
}

/** The message index of a message id of this completion, or null if it is not one. */
export function parseMessageId(completionId: string, id: string): number | null {
  const prefix = `${completionId}-`;
  if (!id.startsWith(prefix)) return null;
  const rest = id.slice(prefix.length);
  return /^(0|[1-9]\d{0,8})$/.test(rest) ? Number(rest) : null;
}

export function presentMessage(completionId: string, index: number, stored: unknown): StoredMessage {
  const message = (stored ?? {}) as Record<string, any>;
  const parts = Array.isArray(message.content) ? message.content : null;
  // OpenAI shows content parts both ways: their text joined in `content`, and whole in `content_parts`.
  const texts = parts?.filter((part) => part?.type === "text" && typeof part.text === "string").map((part) => part.text as string);
  const content = parts ? (texts!.length > 0 ? texts!.join("\n") : null) : typeof message.content === "string" ? message.content : null;
  const item: StoredMessage = {
    id: messageId(completionId, index),
    role: message.role,
    content,
    refusal: typeof message.refusal === "string" ? message.refusal : null,
    name: typeof message.name === "string" ? message.name : null,
    content_parts: parts,
  };
  if (Array.isArray(message.tool_calls)) item.tool_calls = message.tool_calls;
  if (typeof message.tool_call_id === "string") item.tool_call_id = message.tool_call_id;
  return item;
}

export function listPage<T extends { id: string }>(data: T[], hasMore: boolean) {
  return {
    object: "list" as const,
    data,
    first_id: data.length > 0 ? data[0].id : null,
    last_id: data.length > 0 ? data[data.length - 1].id : null,
    has_more: hasMore,
  };
}
