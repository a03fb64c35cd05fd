import { conversationNotFoundParam, invalidRequest, previousResponseNotFound } from "../errors";
import { allItems, findTeamItem, getConversation } from "./conversations-store";
import { itemId, responseIdOfItem } from "./item-ids";
import { withPendingItems } from "./pending";
import { loadResponse } from "./store";
import { isObject, type Item, type Json } from "./types";

// The gateway owns the state: previous_response_id, conversation and item_reference are expanded
// here into the full input, which is what the upstream gets and what is stored. Items that carry
// ids are plain items; only item_reference is looked up.

export interface ResolvedInput {
  /** What came before this request's input: the previous response's input and output, or the conversation's items. */
  history: Item[];
  /** This request's input, references resolved, each item with an id. */
  given: Item[];
  /** Upstream ids of stored reasoning items, by gateway id. */
  upstreamIds: Record<string, string>;
  conversationId: string | null;
}

export const conversationIdOf = (conversation: unknown): string | null =>
  typeof conversation === "string" ? conversation : isObject(conversation) && typeof conversation.id === "string" ? conversation.id : null;

/** The request's `input` as items: a string is one user message. */
export function inputItems(input: unknown): Item[] {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  if (!Array.isArray(input)) throw invalidRequest("Invalid 'input': expected a string or an array of input items.", "input", "invalid_type");
  return input.map((item, i) => {
    if (!isObject(item)) throw invalidRequest(`Invalid 'input[${i}]': expected an object.`, `input[${i}]`, "invalid_type");
    // A bare {role, content} is an EasyInputMessage; a string content becomes one text part.
    if (item.type === undefined && item.role !== undefined) {
      const content = typeof item.content === "string" ? [{ type: item.role === "assistant" ? "output_text" : "input_text", text: item.content, ...(item.role === "assistant" ? { annotations: [], logprobs: [] } : {}) }] : item.content;
      return { type: "message", ...item, content };
    }
    return item;
  });
}

async function referencedItem(env: Env, teamId: string, id: string): Promise<{ item: Item; upstreamId?: string } | null> {
  const responseId = responseIdOfItem(id);
  if (responseId) {
    const stored = await loadResponse(env, teamId, responseId);
    const item = stored && [...stored.response.output, ...stored.input].find((candidate: Json) => candidate.id === id);
    if (item) return { item, upstreamId: stored?.upstreamIds?.[id] };
  }
  const fromConversation = await findTeamItem(env, teamId, id);
  return fromConversation ? { item: fromConversation } : null;
}

export async function resolveInput(env: Env, teamId: string, request: Json, responseId: string): Promise<ResolvedInput> {
  const resolved: ResolvedInput = { history: [], given: [], upstreamIds: {}, conversationId: conversationIdOf(request.conversation) };
  if (typeof request.previous_response_id === "string") {
    const previous = await loadResponse(env, teamId, request.previous_response_id);
    if (!previous) throw previousResponseNotFound(request.previous_response_id);
    resolved.history = [...previous.input, ...previous.response.output];
    Object.assign(resolved.upstreamIds, previous.upstreamIds);
  } else if (resolved.conversationId !== null) {
    if (!(await getConversation(env, teamId, resolved.conversationId))) throw conversationNotFoundParam(resolved.conversationId);
    resolved.history = withPendingItems(teamId, resolved.conversationId, await allItems(env, teamId, resolved.conversationId));
  }
  const items = inputItems(request.input);
  for (const [i, item] of items.entries()) {
    if (item.type === "item_reference") {
      const found = typeof item.id === "string" ? await referencedItem(env, teamId, item.id) : null;
      if (!found) throw previousResponseNotFound(String(item.id), `input[${i}]`);
      if (found.upstreamId) resolved.upstreamIds[found.item.id] = found.upstreamId;
      resolved.given.push(found.item);
      continue;
    }
    const index = resolved.history.length + i;
    resolved.given.push(typeof item.id === "string" && item.id ? item : { id: itemId(responseId, "i", index, item.type), ...item });
  }
  // An item twice (re-sent with the history that holds it) would reach the model twice and make the input's pages loop.
  const seen = new Set(resolved.history.map((item) => item.id));
  for (const [i, item] of resolved.given.entries()) {
    if (seen.has(item.id)) throw invalidRequest(`Duplicate item found with id ${item.id}. Remove duplicate items from your input and try again.`, `input[${i}]`);
    seen.add(item.id);
  }
  return resolved;
}

/** The input a `responses` upstream gets: no ids (it stores nothing), but reasoning items with the ids it gave them. */
export function upstreamInput(items: Item[], upstreamIds: Record<string, string>): Item[] {
  return items.map((item) => {
    const { id, ...rest } = item;
    if (item.type === "reasoning") {
      const original = upstreamIds[id] ?? id;
      return original ? { id: original, ...rest } : rest;
    }
    return rest;
  });
}
