import { expectWrite, forgetPending } from "../../completion-store/pending";
import { writeCompletion } from "../../completion-store/write";
import { mintCompletionId, mintedAt, nowSeconds } from "../../ids";
import type { ChatCompletion, CreateChatCompletionRequest } from "../../schemas/openai";
import type { AppContext } from "../../http/types";
import type { Metadata, NewStoredCompletion } from "../../db/types";

// The chat route's store steps: mint the id (no D1 call), build the record, write it after the answer.

/** Request settings that OpenAI echoes on a stored completion, where the request gave them. */
const ECHOED_SETTINGS = ["temperature", "top_p", "seed", "tools", "tool_choice", "response_format", "presence_penalty", "frequency_penalty"] as const;

export function echoedSettings(request: CreateChatCompletionRequest): Record<string, unknown> {
  const echoed: Record<string, unknown> = {};
  for (const name of ECHOED_SETTINGS) if (request[name] !== undefined) echoed[name] = request[name];
  if (request.user !== undefined) echoed.input_user = request.user;
  return echoed;
}

/**
 * The id of a stored completion: minted by the gateway, time-ordered, returned to the client.
 * This isolate remembers that its write is coming, so that a read of it waits rather than misses.
 */
export async function mintStoredId(teamId: string, idSecret: string): Promise<string> {
  const id = await mintCompletionId(idSecret);
  expectWrite(teamId, id);
  return id;
}

export interface Answer {
  completion: ChatCompletion;
  /** The upstream's own id for it. */
  upstreamId: string | null;
}

function buildStoredCompletion(
  teamId: string,
  id: string,
  upstream: string | null,
  request: CreateChatCompletionRequest,
  { completion, upstreamId }: Answer,
): NewStoredCompletion {
  const { metadata: _ignored, ...answer } = completion;
  // What is shown must be what is sorted and filtered on, and carry the fields the spec requires.
  const model = typeof answer.model === "string" && answer.model ? answer.model : request.model;
  const created = Number.isInteger(answer.created) ? answer.created : nowSeconds();
  return {
    teamId,
    id,
    created,
    model,
    metadata: (request.metadata ?? {}) as Metadata,
    body: { ...answer, id, object: "chat.completion", created, model, ...echoedSettings(request) },
    messages: request.messages.map((message) => JSON.stringify(message)),
    storedAt: mintedAt(id) ?? Date.now(),
    upstreamId,
    upstream,
  };
}

/**
 * Stores in waitUntil, once `answer` settles (null: nothing to store). The work starts after a
 * timer tick, so that even the serialising of a large request happens after the response has gone.
 */
export function storeAfterResponse(c: AppContext, id: string, upstream: string, request: CreateChatCompletionRequest, answer: Promise<Answer | null>): void {
  const teamId = c.get("apiKey").teamId;
  const afterResponse = new Promise((resolve) => setTimeout(resolve, 0));
  const written = Promise.all([answer, afterResponse]).then(([settled]) => {
    if (!settled) return forgetPending(teamId, id);
    return writeCompletion(c.env, buildStoredCompletion(teamId, id, upstream, request, settled));
  });
  c.executionCtx.waitUntil(written);
}
