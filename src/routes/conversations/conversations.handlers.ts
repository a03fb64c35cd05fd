import type { AppRouteHandler } from "../../http/types";
import { conversationItemNotFound, conversationNotFound } from "../../errors";
import {
  appendItems,
  createConversation,
  deleteConversation,
  deleteItem,
  getConversation,
  getItem,
  listItems,
  normaliseItem,
  updateConversation,
} from "../../responses/conversations-store";
import { includeOf, presentItem } from "../../responses/present";
import type { Item } from "../../responses/types";
import type {
  addItemsRoute,
  createConversationRoute,
  deleteConversationRoute,
  deleteItemRoute,
  getConversationRoute,
  getItemRoute,
  listItemsRoute,
  updateConversationRoute,
} from "./conversations.routes";

const page = (items: Item[], hasMore: boolean) => ({ object: "list" as const, data: items, first_id: items[0]?.id ?? null, last_id: items.at(-1)?.id ?? null, has_more: hasMore });

export const createConversationHandler: AppRouteHandler<typeof createConversationRoute> = async (c) => {
  // The body is optional: the SDK may send none.
  const body = (c.req.valid("json") ?? {}) as { items?: Item[] | null; metadata?: Record<string, string> | null };
  const conversation = await createConversation(c.env, c.get("apiKey").teamId, body.metadata ?? {}, body.items ?? []);
  return c.json(conversation, 200);
};

export const getConversationHandler: AppRouteHandler<typeof getConversationRoute> = async (c) => {
  const { conversation_id: id } = c.req.valid("param");
  const conversation = await getConversation(c.env, c.get("apiKey").teamId, id);
  if (!conversation) throw conversationNotFound(id);
  return c.json(conversation, 200);
};

export const updateConversationHandler: AppRouteHandler<typeof updateConversationRoute> = async (c) => {
  const { conversation_id: id } = c.req.valid("param");
  const conversation = await updateConversation(c.env, c.get("apiKey").teamId, id, c.req.valid("json").metadata);
  if (!conversation) throw conversationNotFound(id);
  return c.json(conversation, 200);
};

export const deleteConversationHandler: AppRouteHandler<typeof deleteConversationRoute> = async (c) => {
  const { conversation_id: id } = c.req.valid("param");
  if (!(await deleteConversation(c.env, c.get("apiKey").teamId, id))) throw conversationNotFound(id);
  return c.json({ id, object: "conversation.deleted" as const, deleted: true }, 200);
};

export const addItemsHandler: AppRouteHandler<typeof addItemsRoute> = async (c) => {
  const { conversation_id: id } = c.req.valid("param");
  const teamId = c.get("apiKey").teamId;
  if (!(await getConversation(c.env, teamId, id))) throw conversationNotFound(id);
  const items = c.req.valid("json").items.map((item) => normaliseItem({ ...item }));
  await appendItems(c.env, teamId, id, items);
  return c.json(page(items, false), 200);
};

export const listItemsHandler: AppRouteHandler<typeof listItemsRoute> = async (c) => {
  const { conversation_id: id } = c.req.valid("param");
  const { after, limit, order, include, "include[]": includeBrackets } = c.req.valid("query");
  const teamId = c.get("apiKey").teamId;
  if (!(await getConversation(c.env, teamId, id))) throw conversationNotFound(id);
  const result = await listItems(c.env, teamId, id, { after, limit, order });
  const wanted = [...includeOf(include), ...includeOf(includeBrackets)];
  return c.json(page(result.items.map((item) => presentItem(item, wanted)), result.hasMore), 200);
};

export const getItemHandler: AppRouteHandler<typeof getItemRoute> = async (c) => {
  const { conversation_id: id, item_id: itemId } = c.req.valid("param");
  const teamId = c.get("apiKey").teamId;
  if (!(await getConversation(c.env, teamId, id))) throw conversationNotFound(id);
  const item = await getItem(c.env, teamId, id, itemId);
  if (!item) throw conversationItemNotFound(itemId, id);
  return c.json(item as { id: string; type: string }, 200);
};

export const deleteItemHandler: AppRouteHandler<typeof deleteItemRoute> = async (c) => {
  const { conversation_id: id, item_id: itemId } = c.req.valid("param");
  const teamId = c.get("apiKey").teamId;
  const conversation = await getConversation(c.env, teamId, id);
  if (!conversation) throw conversationNotFound(id);
  if (!(await deleteItem(c.env, teamId, id, itemId))) throw conversationItemNotFound(itemId, id);
  return c.json(conversation, 200);
};
