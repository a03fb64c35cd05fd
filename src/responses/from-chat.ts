import { itemId } from "./item-ids";
import { finishResponse, responseUsage } from "./response-object";
import { CUSTOM_INPUT, targetOf, type ChatTools } from "./tools";
import { isObject, type Json, type ResponseObject } from "./types";

// A chat completion -> the output items and usage of a response. Only the first choice is read:
// a Responses request has no `n`.

/** An output_text part with the arrays the spec requires. */
export const outputText = (text: string, logprobs: unknown[] = []): Json => ({ type: "output_text", text, annotations: [], logprobs });

/** A custom tool's input, from the JSON arguments it was called with through chat. */
export function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args);
    if (isObject(parsed) && typeof parsed[CUSTOM_INPUT] === "string") return parsed[CUSTOM_INPUT];
  } catch {
    // Not JSON: the model sent the input bare.
  }
  return args;
}

/** A chat tool call -> a `function_call` item (with its namespace) or a `custom_tool_call` item. */
export function toolCallItem(id: string, callId: string, chatName: string, args: string, tools: ChatTools, status = "completed"): Json {
  const target = targetOf(tools, chatName);
  if (target.kind === "custom") {
    const item: Json = { id, type: "custom_tool_call", status, call_id: callId, name: target.name, input: customInput(args) };
    if (target.namespace !== undefined) item.namespace = target.namespace;
    return item;
  }
  const item: Json = { id, type: "function_call", status, call_id: callId, name: target.name, arguments: args };
  if (target.namespace !== undefined) item.namespace = target.namespace;
  return item;
}

/** The output items of a chat completion's first choice. */
export function outputItems(completion: Json, responseId: string, tools: ChatTools): Json[] {
  const choice = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
  const message: Json = isObject(choice?.message) ? choice.message : {};
  const items: Json[] = [];
  const content: Json[] = [];
  if (typeof message.content === "string" && message.content !== "") content.push(outputText(message.content, Array.isArray(choice?.logprobs?.content) ? choice.logprobs.content : []));
  if (typeof message.refusal === "string" && message.refusal !== "") content.push({ type: "refusal", refusal: message.refusal });
  const status = choice?.finish_reason === "length" ? "incomplete" : "completed";
  if (content.length > 0) items.push({ id: itemId(responseId, "o", 0, "message"), type: "message", status, role: "assistant", content });
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      if (!isObject(call)) continue;
      const callId = typeof call.id === "string" && call.id ? call.id : `call_${items.length}`;
      const index = items.length;
      items.push(toolCallItem(itemId(responseId, "o", index, "function_call"), callId, String(call.function?.name ?? ""), String(call.function?.arguments ?? ""), tools));
    }
  }
  // Item ids follow each item's type, but keep their position.
  return items.map((item, index) => ({ ...item, id: itemId(responseId, "o", index, item.type) }));
}

/** Fills `response` (a skeleton) from a chat completion. */
export function responseFromChat(response: ResponseObject, completion: Json, tools: ChatTools): ResponseObject {
  const choice = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
  return finishResponse(response, outputItems(completion, response.id, tools), responseUsage(completion.usage), choice?.finish_reason === "length");
}
