import type { Metadata, NewStoredCompletion } from "../db/completions";
import type { ChatCompletion, CreateChatCompletionRequest } from "../schemas/openai";

/** Request settings that OpenAI echoes on a stored completion, where the request gave them. */
const ECHOED_SETTINGS = ["temperature", "top_p", "seed", "tools", "tool_choice", "response_format", "presence_penalty", "frequency_penalty"] as const;

export function echoedSettings(request: CreateChatCompletionRequest): Record<string, unknown> {
  const echoed: Record<string, unknown> = {};
  for (const name of ECHOED_SETTINGS) if (request[name] !== undefined) echoed[name] = request[name];
  if (request.user !== undefined) echoed.input_user = request.user;
  return echoed;
}

export function buildStoredCompletion(teamId: string, request: CreateChatCompletionRequest, completion: ChatCompletion): NewStoredCompletion {
  const { metadata: _ignored, ...answer } = completion;
  const model = typeof answer.model === "string" && answer.model ? answer.model : request.model;
  return {
    teamId,
    id: answer.id,
    created: Number.isInteger(answer.created) ? answer.created : Math.floor(Date.now() / 1000),
    model,
    metadata: (request.metadata ?? {}) as Metadata,
    body: { ...answer, model, ...echoedSettings(request) },
    messages: request.messages,
  };
}

/** A fresh completion id in OpenAI's format. */
export function newCompletionId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(29));
  return "chatcmpl-" + [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}
