import { invalidRequest } from "../errors";
import { chatNameOf, chatToolChoice, chatTools, CUSTOM_INPUT, type ChatTools } from "./tools";
import { isObject, type Item, type Json } from "./types";

// A Responses request -> a chat completions request, for upstreams that speak only chat. The input
// is already resolved (previous_response_id, conversation and item_reference expanded). Fields a
// chat upstream has no use for (client_metadata, prompt_cache_key, include, reasoning.summary, …)
// are left out.

export interface ChatPlan {
  body: Json;
  tools: ChatTools;
}

/** A text part's text, whatever the part type; null for a part that is not text. */
function partText(part: unknown): string | null {
  if (typeof part === "string") return part;
  if (!isObject(part)) return null;
  if (typeof part.text === "string") return part.text;
  if (typeof part.refusal === "string") return part.refusal;
  return null;
}

/** A message part -> a chat content part. */
function chatPart(part: Json, at: string): Json {
  switch (part.type) {
    case "input_text":
    case "output_text":
    case "text":
    case "summary_text":
    case "reasoning_text":
      return { type: "text", text: String(part.text ?? "") };
    case "refusal":
      return { type: "text", text: String(part.refusal ?? "") };
    case "input_image": {
      if (typeof part.image_url !== "string") {
        throw invalidRequest("An input_image sent to a chat upstream needs an 'image_url' (a URL or a data URL); file ids live in an upstream account and are not supported.", at, "unsupported_value");
      }
      const image: Json = { url: part.image_url };
      if (part.detail && part.detail !== "auto") image.detail = part.detail;
      return { type: "image_url", image_url: image };
    }
    case "input_file": {
      const file: Json = {};
      if (typeof part.file_data === "string") file.file_data = part.file_data;
      if (typeof part.filename === "string") file.filename = part.filename;
      if (typeof part.file_id === "string") file.file_id = part.file_id;
      return { type: "file", file };
    }
    case "input_audio":
      return { type: "input_audio", input_audio: part.input_audio };
    default:
      throw invalidRequest(`A content part of type '${String(part.type)}' cannot be sent to a chat upstream.`, at, "unsupported_value");
  }
}

/** Message content: a string when it is only text (what every chat server takes), else parts. */
function chatContent(content: unknown, at: string, textOnly: boolean): string | Json[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts = content.map((part, i) => (isObject(part) ? chatPart(part, `${at}[${i}]`) : { type: "text", text: String(part) }));
  if (textOnly || parts.every((part) => part.type === "text")) return parts.map((part) => (part.type === "text" ? part.text : "")).join("");
  return parts;
}

/** A tool output (string, or parts) as a tool message's content. */
function toolOutput(output: unknown): string | Json[] {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) {
    const texts = output.map(partText);
    if (texts.every((t) => t !== null)) return texts.join("");
    return output.filter(isObject).map((part, i) => chatPart(part, `output[${i}]`));
  }
  return JSON.stringify(output ?? "");
}

/** The items of a resolved input -> chat messages. */
export function chatMessages(items: Item[], tools: ChatTools): Json[] {
  const messages: Json[] = [];
  /** The assistant message that function calls right after it join. */
  let openAssistant: Json | null = null;
  const assistantFor = () => {
    if (!openAssistant) {
      openAssistant = { role: "assistant", content: null };
      messages.push(openAssistant);
    }
    return openAssistant;
  };
  items.forEach((item, i) => {
    const at = `input[${i}]`;
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    switch (type) {
      case "message": {
        const role = item.role === "developer" ? "system" : item.role;
        if (role === "assistant") {
          openAssistant = { role: "assistant", content: chatContent(item.content, `${at}.content`, true) };
          messages.push(openAssistant);
          return;
        }
        openAssistant = null;
        if (role !== "user" && role !== "system") throw invalidRequest(`Invalid value for 'role': '${String(item.role)}'.`, `${at}.role`, "invalid_value");
        messages.push({ role, content: chatContent(item.content, `${at}.content`, role === "system") });
        return;
      }
      case "function_call":
      case "custom_tool_call": {
        const assistant = assistantFor();
        const custom = type === "custom_tool_call";
        const call = {
          id: String(item.call_id),
          type: "function",
          function: {
            name: chatNameOf(tools, String(item.name), item.namespace),
            arguments: custom ? JSON.stringify({ [CUSTOM_INPUT]: String(item.input ?? "") }) : String(item.arguments ?? ""),
          },
        };
        (assistant.tool_calls ??= []).push(call);
        return;
      }
      case "function_call_output":
      case "custom_tool_call_output":
        openAssistant = null;
        messages.push({ role: "tool", tool_call_id: String(item.call_id), content: toolOutput(item.output) });
        return;
      case "reasoning":
        // A chat upstream cannot read reasoning items (their content is encrypted for the model that made them).
        return;
      case "item_reference":
        throw invalidRequest("An item_reference must be resolved before translation.", at, "invalid_value");
      default:
        // Calls of hosted tools and their results: a chat upstream has no such tools.
        return;
    }
  });
  return messages;
}

/** Responses `text.format` -> chat `response_format`. */
function responseFormat(format: unknown): Json | undefined {
  if (!isObject(format)) return undefined;
  if (format.type === "json_schema") {
    const schema: Json = { name: format.name ?? "response", schema: format.schema };
    if (format.description !== undefined) schema.description = format.description;
    if (format.strict !== undefined && format.strict !== null) schema.strict = format.strict;
    return { type: "json_schema", json_schema: schema };
  }
  if (format.type === "json_object") return { type: "json_object" };
  return undefined;
}

/** The whole chat request for a Responses request whose input is `items`. */
export function toChatRequest(request: Json, items: Item[], upstream: { name: string; dropHostedTools: boolean }): ChatPlan {
  const tools = chatTools(request.tools, upstream);
  const messages = chatMessages(items, tools);
  if (typeof request.instructions === "string" && request.instructions !== "") messages.unshift({ role: "system", content: request.instructions });
  const body: Json = { model: request.model, messages };
  if (tools.tools.length > 0) {
    body.tools = tools.tools;
    const choice = chatToolChoice(request.tool_choice, tools);
    if (choice !== undefined) body.tool_choice = choice;
    if (typeof request.parallel_tool_calls === "boolean") body.parallel_tool_calls = request.parallel_tool_calls;
  }
  for (const name of ["temperature", "top_p", "user"] as const) {
    if (request[name] !== undefined && request[name] !== null) body[name] = request[name];
  }
  if (typeof request.max_output_tokens === "number") body.max_tokens = request.max_output_tokens;
  if (typeof request.top_logprobs === "number") {
    body.logprobs = true;
    body.top_logprobs = request.top_logprobs;
  }
  if (isObject(request.reasoning) && typeof request.reasoning.effort === "string") body.reasoning_effort = request.reasoning.effort;
  const format = responseFormat(request.text?.format);
  if (format) body.response_format = format;
  if (typeof request.text?.verbosity === "string") body.verbosity = request.text.verbosity;
  if (request.stream === true) {
    body.stream = true;
    // Always: the usage goes into the response object and is counted.
    body.stream_options = { include_usage: true };
  }
  return { body, tools };
}
