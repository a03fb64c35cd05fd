import { nowSeconds } from "../ids";
import { isObject, type Json, type ResponseObject } from "./types";

// The `response` object the gateway answers with, built from the request's settings: the same
// skeleton for a translated answer, every stream event that carries the response, and a replay.

/** The usage object the spec requires, from a chat usage (prompt/completion tokens) or a Responses one. */
export function responseUsage(raw: unknown): Json | null {
  if (!isObject(raw)) return null;
  const input = typeof raw.input_tokens === "number" ? raw.input_tokens : typeof raw.prompt_tokens === "number" ? raw.prompt_tokens : 0;
  const output = typeof raw.output_tokens === "number" ? raw.output_tokens : typeof raw.completion_tokens === "number" ? raw.completion_tokens : 0;
  const inDetails = raw.input_tokens_details ?? raw.prompt_tokens_details ?? {};
  const outDetails = raw.output_tokens_details ?? raw.completion_tokens_details ?? {};
  const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: count(inDetails.cached_tokens), cache_write_tokens: count(inDetails.cache_write_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(outDetails.reasoning_tokens) },
    total_tokens: typeof raw.total_tokens === "number" ? raw.total_tokens : input + output,
  };
}

/** A request's tools as a response echoes them, with the fields the spec requires there (OpenAI's defaults). */
export function echoedTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isObject).map((tool) => {
    if (tool.type === "function") return { ...tool, description: tool.description ?? null, parameters: tool.parameters ?? null, strict: tool.strict ?? true };
    if (tool.type === "namespace") return { ...tool, description: tool.description ?? "", tools: Array.isArray(tool.tools) ? tool.tools : [] };
    return tool;
  });
}

/** A response in progress, echoing the request's settings as OpenAI does. */
export function responseSkeleton(request: Json, id: string, model: string, createdAt = nowSeconds()): ResponseObject {
  const text = isObject(request.text) ? { format: { type: "text" }, ...request.text } : { format: { type: "text" } };
  const conversation = typeof request.conversation === "string" ? { id: request.conversation } : isObject(request.conversation) ? { id: request.conversation.id } : null;
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    background: false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    conversation,
    reasoning: isObject(request.reasoning) ? { effort: request.reasoning.effort ?? null, summary: request.reasoning.summary ?? null } : { effort: null, summary: null },
    service_tier: request.service_tier ?? "default",
    store: request.store !== false,
    temperature: request.temperature ?? 1,
    text,
    tool_choice: request.tool_choice ?? "auto",
    tools: echoedTools(request.tools),
    top_logprobs: request.top_logprobs ?? 0,
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? "disabled",
    ...(typeof request.user === "string" ? { user: request.user } : {}),
    metadata: request.metadata ?? {},
  };
}

/** Marks a response finished: completed, or incomplete when the upstream stopped at the token limit. */
export function finishResponse(response: ResponseObject, output: Json[], usage: Json | null, cutAtLength: boolean): ResponseObject {
  response.output = output;
  if (usage) response.usage = usage;
  response.status = cutAtLength ? "incomplete" : "completed";
  response.incomplete_details = cutAtLength ? { reason: "max_output_tokens" } : null;
  response.completed_at = cutAtLength ? null : nowSeconds();
  return response;
}

/** The fields of a response the spec requires, and those that say how it went: what a stream event carries, to keep streams small. */
const LEAN_FIELDS = ["id", "object", "created_at", "status", "completed_at", "error", "incomplete_details", "instructions", "model", "tools", "output", "parallel_tool_calls", "metadata", "tool_choice", "temperature", "top_p", "usage"];

export function leanResponse(response: ResponseObject): ResponseObject {
  const lean: ResponseObject = {};
  for (const field of LEAN_FIELDS) if (response[field] !== undefined) lean[field] = response[field];
  // Not required, and null until the end.
  if (lean.completed_at === null) delete lean.completed_at;
  if (response.previous_response_id) lean.previous_response_id = response.previous_response_id;
  if (response.conversation) lean.conversation = response.conversation;
  return lean;
}
