import { and, asc, desc, eq, gt, lt } from "drizzle-orm";
import { createDb } from "../db/client";
import { conversationItems, conversations } from "../db/responses-schema";
import { teamDb } from "../db/team-db";
import { mintTimeOrderedId, nowSeconds } from "../ids";
import { itemId, mintConversationId } from "./item-ids";
import type { Item } from "./types";

// Conversations and their items, per team, in D1. Items are kept in order (`seq`); appending is
// idempotent by item id, so a retried append adds nothing twice.

export interface Conversation {
  id: string;
  object: "conversation";
  created_at: number;
  metadata: Record<string, string>;
}

const present = (row: { id: string; createdAt: number; metadata: Record<string, string> }): Conversation => ({
  id: row.id,
  object: "conversation",
  created_at: row.createdAt,
  metadata: row.metadata,
});

const dbOf = (env: Env, teamId: string) => createDb(teamDb(env, teamId));

/** An item as a conversation keeps it: with an id (minted when it has none) and a status. */
export function withItemId(item: Item): Item {
  if (typeof item.id === "string" && item.id) return item;
  return { id: itemId(mintTimeOrderedId("item_"), "i", 0, item.type ?? "message"), ...item };
}

/** A conversation holds full items: a bare `{role, content}` becomes a message item. */
export function normaliseItem(item: Item): Item {
  const typed = item.type === undefined && item.role !== undefined ? { type: "message", ...item } : item;
  if (typed.type === "message" && typeof typed.content === "string") {
    typed.content = [{ type: typed.role === "assistant" ? "output_text" : "input_text", text: typed.content, ...(typed.role === "assistant" ? { annotations: [], logprobs: [] } : {}) }];
  }
  if (typed.type === "message" && typed.status === undefined) typed.status = "completed";
  return withItemId(typed);
}

/** Appends items (in order) to a conversation; items whose id it holds already are skipped. */
export async function appendItems(env: Env, teamId: string, conversationId: string, items: Item[]): Promise<void> {
  if (items.length === 0) return;
  const d1 = teamDb(env, teamId);
  // One statement per item, in one batch (a transaction): each takes the next seq.
  const insert = d1.prepare(
    `insert into conversation_items (team_id, conversation_id, seq, item_id, data)
     select ?1, ?2, coalesce((select max(seq) + 1 from conversation_items where team_id = ?1 and conversation_id = ?2), 0), ?3, ?4
     where exists (select 1 from conversations c where c.team_id = ?1 and c.id = ?2)
     on conflict do nothing`,
  );
  await d1.batch(items.map((item) => insert.bind(teamId, conversationId, item.id, JSON.stringify(item))));
}

export async function createConversation(env: Env, teamId: string, metadata: Record<string, string>, items: Item[]): Promise<Conversation> {
  const id = mintConversationId();
  const createdAt = nowSeconds();
  await dbOf(env, teamId).insert(conversations).values({ teamId, id, createdAt, metadata });
  await appendItems(env, teamId, id, items.map(normaliseItem));
  return present({ id, createdAt, metadata });
}

export async function getConversation(env: Env, teamId: string, id: string): Promise<Conversation | null> {
  const row = await dbOf(env, teamId)
    .select()
    .from(conversations)
    .where(and(eq(conversations.teamId, teamId), eq(conversations.id, id)))
    .get();
  return row ? present(row) : null;
}

export async function updateConversation(env: Env, teamId: string, id: string, metadata: Record<string, string>): Promise<Conversation | null> {
  const [row] = await dbOf(env, teamId)
    .update(conversations)
    .set({ metadata })
    .where(and(eq(conversations.teamId, teamId), eq(conversations.id, id)))
    .returning();
  return row ? present(row) : null;
}

export async function deleteConversation(env: Env, teamId: string, id: string): Promise<boolean> {
  const db = dbOf(env, teamId);
  const [deleted] = await db.batch([
    db
      .delete(conversations)
      .where(and(eq(conversations.teamId, teamId), eq(conversations.id, id)))
      .returning({ id: conversations.id }),
    db.delete(conversationItems).where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, id))),
  ]);
  return deleted.length > 0;
}

/** Every item of a conversation, oldest first (what a response's `conversation` prepends). */
export async function allItems(env: Env, teamId: string, conversationId: string): Promise<Item[]> {
  const rows = await dbOf(env, teamId)
    .select({ data: conversationItems.data })
    .from(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId)))
    .orderBy(asc(conversationItems.seq))
    .all();
  return rows.map((row) => JSON.parse(row.data));
}

export interface ItemPage {
  items: Item[];
  hasMore: boolean;
}

/** A page of items; `after` is an item id of this conversation. */
export async function listItems(env: Env, teamId: string, conversationId: string, page: { after?: string; limit: number; order: "asc" | "desc" }): Promise<ItemPage> {
  const db = dbOf(env, teamId);
  const mine = and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId));
  let afterSeq: number | undefined;
  if (page.after) {
    const row = await db.select({ seq: conversationItems.seq }).from(conversationItems).where(and(mine, eq(conversationItems.itemId, page.after))).get();
    afterSeq = row?.seq ?? (page.order === "asc" ? Number.MAX_SAFE_INTEGER : -1);
  }
  const rows = await db
    .select({ data: conversationItems.data })
    .from(conversationItems)
    .where(and(mine, afterSeq !== undefined ? (page.order === "asc" ? gt : lt)(conversationItems.seq, afterSeq) : undefined))
    .orderBy((page.order === "asc" ? asc : desc)(conversationItems.seq))
    .limit(page.limit + 1)
    .all();
  return { items: rows.slice(0, page.limit).map((row) => JSON.parse(row.data)), hasMore: rows.length > page.limit };
}

export async function getItem(env: Env, teamId: string, conversationId: string, id: string): Promise<Item | null> {
  const row = await dbOf(env, teamId)
    .select({ data: conversationItems.data })
    .from(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId), eq(conversationItems.itemId, id)))
    .get();
  return row ? JSON.parse(row.data) : null;
}

/** Any conversation item of the team with this id (an item_reference to it). */
export async function findTeamItem(env: Env, teamId: string, id: string): Promise<Item | null> {
  const row = await dbOf(env, teamId)
    .select({ data: conversationItems.data })
    .from(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.itemId, id)))
    .get();
  return row ? JSON.parse(row.data) : null;
}

export async function deleteItem(env: Env, teamId: string, conversationId: string, id: string): Promise<boolean> {
  const rows = await dbOf(env, teamId)
    .delete(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId), eq(conversationItems.itemId, id)))
    .returning({ id: conversationItems.itemId });
  return rows.length > 0;
}
