import type { Metadata, NewStoredCompletion } from "../db/completions";
import { nowSeconds } from "../ids";
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
  // What is shown must be what is sorted and filtered on, and carry the fields the spec requires.
  const model = typeof answer.model === "string" && answer.model ? answer.model : request.model;
  const created = Number.isInteger(answer.created) ? answer.created : nowSeconds();
  return {
    teamId,
    id: answer.id,
    created,
    model,
    metadata: (request.metadata ?? {}) as Metadata,
    body: { ...answer, object: "chat.completion", created, model, ...echoedSettings(request) },
    messages: request.messages.map((message) => JSON.stringify(message)),
  };
}
