import { hostedToolsRefused } from "../errors";
import { isObject, type Json } from "./types";

// Tools of a Responses request as a chat upstream sees them: function tools as they are, `namespace`
// tools flattened into functions, `custom` (freeform) tools as functions of one string, and hosted
// tools refused (or dropped). The names given to the upstream are mapped back on its calls.

/** What a chat function name stands for. */
export interface ToolTarget {
  kind: "function" | "custom";
  name: string;
  namespace?: string;
}

export interface ChatTools {
  tools: Json[];
  /** chat function name -> the Responses tool it stands for. */
  byChatName: Map<string, ToolTarget>;
  /** Hosted tools left out (drop_hosted_tools). */
  dropped: string[];
}

const CHAT_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const CLIENT_TOOL_TYPES = new Set(["function", "custom", "namespace"]);
/** The string parameter a custom tool's input travels in. */
export const CUSTOM_INPUT = "input";

/** A short, stable hash for names too long to keep whole (FNV-1a, base 36). */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/** The chat name of a tool: `namespace__name`, cleaned to ^[a-zA-Z0-9_-]{1,64}$, shortened with a hash when too long. */
export function chatToolName(name: string, namespace?: string): string {
  const joined = namespace ? `${namespace}__${name}` : name;
  if (CHAT_NAME.test(joined)) return joined;
  const clean = joined.replace(/[^a-zA-Z0-9_-]/g, "_") || "tool";
  if (clean.length <= 64 && clean === joined) return clean;
  const suffix = `_${shortHash(joined)}`;
  return clean.slice(0, 64 - suffix.length) + suffix;
}

function functionTool(tool: Json, name: string): Json {
  const fn: Json = { name };
  if (tool.description !== undefined && tool.description !== null) fn.description = tool.description;
  fn.parameters = isObject(tool.parameters) ? tool.parameters : { type: "object", properties: {} };
  if (typeof tool.strict === "boolean") fn.strict = tool.strict;
  return { type: "function", function: fn };
}

function customTool(tool: Json, name: string): Json {
  const format = isObject(tool.format) && tool.format.type === "grammar" ? `\nThe input must follow this ${tool.format.syntax ?? ""} grammar:\n${tool.format.definition ?? ""}` : "";
  return {
    type: "function",
    function: {
      name,
      description: `${tool.description ?? ""}${format}`.trim() || `The ${tool.name} tool.`,
      parameters: { type: "object", properties: { [CUSTOM_INPUT]: { type: "string", description: "The tool's whole input, as free text." } }, required: [CUSTOM_INPUT], additionalProperties: false },
    },
  };
}

/** The tools of a request for a chat upstream; throws 400 for hosted tools unless `dropHosted`. */
export function chatTools(tools: unknown, upstream: { name: string; dropHostedTools: boolean }): ChatTools {
  const result: ChatTools = { tools: [], byChatName: new Map(), dropped: [] };
  if (!Array.isArray(tools)) return result;
  const hosted = tools.filter((tool) => !isObject(tool) || !CLIENT_TOOL_TYPES.has(tool.type)).map((tool) => String(isObject(tool) ? tool.type : tool));
  if (hosted.length > 0 && !upstream.dropHostedTools) throw hostedToolsRefused(upstream.name, [...new Set(hosted)]);
  result.dropped = [...new Set(hosted)];
  const add = (tool: Json, target: ToolTarget) => {
    let name = chatToolName(target.name, target.namespace);
    // Two tools that clean to the same name: the later one gets a hashed name of its own.
    if (result.byChatName.has(name)) name = chatToolName(`${target.namespace ?? ""}/${target.name}/${result.tools.length}`);
    result.byChatName.set(name, target);
    result.tools.push(target.kind === "custom" ? customTool(tool, name) : functionTool(tool, name));
  };
  for (const tool of tools) {
    if (!isObject(tool)) continue;
    if (tool.type === "function") add(tool, { kind: "function", name: String(tool.name) });
    else if (tool.type === "custom") add(tool, { kind: "custom", name: String(tool.name) });
    else if (tool.type === "namespace" && Array.isArray(tool.tools)) {
      for (const inner of tool.tools) {
        if (!isObject(inner)) continue;
        const kind = inner.type === "custom" ? "custom" : "function";
        add(inner, { kind, name: String(inner.name), namespace: String(tool.name) });
      }
    }
  }
  return result;
}

/** The chat name a replayed call goes under: the one this request's tools gave it, else the same rule. */
export function chatNameOf(tools: ChatTools, name: string, namespace?: string): string {
  for (const [chatName, target] of tools.byChatName) if (target.name === name && target.namespace === namespace) return chatName;
  return chatToolName(name, namespace);
}

/** What a chat tool call's function name stands for; an unknown name is a plain function. */
export const targetOf = (tools: ChatTools, chatName: string): ToolTarget => tools.byChatName.get(chatName) ?? { kind: "function", name: chatName };

/** Responses `tool_choice` -> chat `tool_choice`; undefined when chat has no equivalent. */
export function chatToolChoice(choice: unknown, tools: ChatTools): unknown {
  if (typeof choice === "string") return choice;
  if (!isObject(choice)) return undefined;
  if (choice.type === "function" || choice.type === "custom") {
    return { type: "function", function: { name: chatNameOf(tools, String(choice.name), choice.namespace) } };
  }
  if (choice.type === "allowed_tools" && Array.isArray(choice.tools)) {
    const named = choice.tools.filter((t: unknown) => isObject(t) && (t.type === "function" || t.type === "custom"));
    return {
      type: "allowed_tools",
      allowed_tools: { mode: choice.mode ?? "auto", tools: named.map((t: Json) => ({ type: "function", function: { name: chatNameOf(tools, String(t.name), t.namespace) } })) },
    };
  }
  // A hosted tool's choice: the model may still call a function.
  return undefined;
}
