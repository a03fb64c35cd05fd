import { and, asc, desc, eq, gt, inArray, lt } from "drizzle-orm";
import { conversationItems, conversations } from "../db/responses-schema";
import { mintTimeOrderedId, nowSeconds } from "../ids";
import { bodyStore, teamPrefix } from "../store/bodies";
import { requireTeamStore } from "../store/shards";
import { itemId, mintConversationId } from "./item-ids";
import type { Item } from "./types";

// Conversations and their items, per team. The team's D1 shard keeps the conversations and the index
// of their items, in order (`seq`); each item's JSON is an R2 object under the team's prefix, so that
// an item of any size fits and team deletion removes it with the rest. Conversations do not expire,
// so their bodies sit outside the day prefixes that retention sweeps (t/{tid}/conv/…). Appending is idempotent by item id, so a
// retried append adds nothing twice.

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

const dbOf = async (env: Env, teamId: string) => (await requireTeamStore(env, teamId)).db;

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

/** The R2 key of an item's JSON: under its conversation, so deleting the conversation deletes a prefix. */
const conversationPrefix = (tid: number, conversationId: string) => `${teamPrefix(tid)}conv/${conversationId}/`;
const itemBodyKey = (tid: number, conversationId: string, itemId: string) => `${conversationPrefix(tid, conversationId)}${encodeURIComponent(itemId)}`;

/** Ids per `in (…)` list, under D1's 100 bound parameters with the team and conversation. */
const IDS_PER_QUERY = 90;

/** The ids among `ids` the conversation holds already. */
async function heldIds(env: Env, teamId: string, conversationId: string, ids: string[]): Promise<Set<string>> {
  const held = new Set<string>();
  const db = await dbOf(env, teamId);
  for (let at = 0; at < ids.length; at += IDS_PER_QUERY) {
    const rows = await db
      .select({ id: conversationItems.itemId })
      .from(conversationItems)
      .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId), inArray(conversationItems.itemId, ids.slice(at, at + IDS_PER_QUERY))))
      .all();
    for (const row of rows) held.add(row.id);
  }
  return held;
}

/**
 * Appends items (in order) to a conversation; items whose id it holds already are skipped. The
 * bodies go to R2 first, so an index row never points at a missing body.
 */
export async function appendItems(env: Env, teamId: string, conversationId: string, items: Item[]): Promise<void> {
  if (items.length === 0) return;
  const held = await heldIds(env, teamId, conversationId, items.map((item) => item.id));
  const fresh = items.filter((item, i) => !held.has(item.id) && items.findIndex((other) => other.id === item.id) === i);
  if (fresh.length === 0) return;
  const createdAt = nowSeconds();
  const { tid, d1 } = await requireTeamStore(env, teamId);
  const bodies = bodyStore(env.BODIES);
  const rows = await Promise.all(
    fresh.map(async (item) => {
      const key = itemBodyKey(tid, conversationId, item.id);
      const bytes = await bodies.putJson(key, item);
      return { item, key, bytes };
    }),
  );
  // One statement per item, in one batch (a transaction): each takes the next seq.
  const insert = d1.prepare(
    `insert into conversation_items (team_id, conversation_id, seq, item_id, created_at, bytes, body_key)
     select ?1, ?2, coalesce((select max(seq) + 1 from conversation_items where team_id = ?1 and conversation_id = ?2), 0), ?3, ?4, ?5, ?6
     where exists (select 1 from conversations c where c.team_id = ?1 and c.id = ?2)
     on conflict do nothing`,
  );
  const results = await d1.batch(rows.map((row) => insert.bind(teamId, conversationId, row.item.id, createdAt, row.bytes, row.key)));
  if (results.every((result) => result.meta.changes > 0)) return;
  // An insert that wrote nothing met either the same item id added meanwhile (its row points at the one
  // key both wrote, which holds the last put) or a conversation deleted meanwhile, whose prefix this
  // append may have refilled.
  if (!(await getConversation(env, teamId, conversationId))) await deleteBodiesOf(env, tid, conversationId);
}

/** Every item body of a conversation, in R2 pages until none is left: a conversation's items are few next to a team's. */
async function deleteBodiesOf(env: Env, tid: number, conversationId: string): Promise<void> {
  while (!(await bodyStore(env.BODIES).deletePrefix(conversationPrefix(tid, conversationId), 10)));
}

interface IndexRow {
  data: string | null;
  bodyKey: string | null;
}

const indexColumns = { data: conversationItems.data, bodyKey: conversationItems.bodyKey };

/** The items of index rows, in their order: read from R2 (together), or inline for older items. */
async function itemsOf(env: Env, rows: IndexRow[]): Promise<Item[]> {
  const items = await Promise.all(
    rows.map(async (row) => {
      if (row.bodyKey === null) return row.data === null ? null : (JSON.parse(row.data) as Item);
      return bodyStore(env.BODIES).getJson<Item>(row.bodyKey);
    }),
  );
  // A body deleted under a row (its conversation being deleted meanwhile) is no item.
  return items.filter((item): item is Item => item !== null);
}

export async function createConversation(env: Env, teamId: string, metadata: Record<string, string>, items: Item[]): Promise<Conversation> {
  const id = mintConversationId();
  const createdAt = nowSeconds();
  await (await dbOf(env, teamId)).insert(conversations).values({ teamId, id, createdAt, metadata });
  await appendItems(env, teamId, id, items.map(normaliseItem));
  return present({ id, createdAt, metadata });
}

export async function getConversation(env: Env, teamId: string, id: string): Promise<Conversation | null> {
  const row = await (await dbOf(env, teamId))
    .select()
    .from(conversations)
    .where(and(eq(conversations.teamId, teamId), eq(conversations.id, id)))
    .get();
  return row ? present(row) : null;
}

export async function updateConversation(env: Env, teamId: string, id: string, metadata: Record<string, string>): Promise<Conversation | null> {
  const [row] = await (await dbOf(env, teamId))
    .update(conversations)
    .set({ metadata })
    .where(and(eq(conversations.teamId, teamId), eq(conversations.id, id)))
    .returning();
  return row ? present(row) : null;
}

export async function deleteConversation(env: Env, teamId: string, id: string): Promise<boolean> {
  const db = await dbOf(env, teamId);
  const [deleted] = await db.batch([
    db
      .delete(conversations)
      .where(and(eq(conversations.teamId, teamId), eq(conversations.id, id)))
      .returning({ id: conversations.id }),
    db.delete(conversationItems).where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, id))),
  ]);
  // After the index: no row is left pointing at a deleted body.
  if (deleted.length > 0) await deleteBodiesOf(env, (await requireTeamStore(env, teamId)).tid, id);
  return deleted.length > 0;
}

/** Every item of a conversation, oldest first (what a response's `conversation` prepends). */
export async function allItems(env: Env, teamId: string, conversationId: string): Promise<Item[]> {
  const rows = await (await dbOf(env, teamId))
    .select(indexColumns)
    .from(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId)))
    .orderBy(asc(conversationItems.seq))
    .all();
  return itemsOf(env, rows);
}

export interface ItemPage {
  items: Item[];
  hasMore: boolean;
}

/** A page of items; `after` is an item id of this conversation. */
export async function listItems(env: Env, teamId: string, conversationId: string, page: { after?: string; limit: number; order: "asc" | "desc" }): Promise<ItemPage> {
  const db = await dbOf(env, teamId);
  const mine = and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId));
  let afterSeq: number | undefined;
  if (page.after) {
    const row = await db.select({ seq: conversationItems.seq }).from(conversationItems).where(and(mine, eq(conversationItems.itemId, page.after))).get();
    afterSeq = row?.seq ?? (page.order === "asc" ? Number.MAX_SAFE_INTEGER : -1);
  }
  const rows = await db
    .select(indexColumns)
    .from(conversationItems)
    .where(and(mine, afterSeq !== undefined ? (page.order === "asc" ? gt : lt)(conversationItems.seq, afterSeq) : undefined))
    .orderBy((page.order === "asc" ? asc : desc)(conversationItems.seq))
    .limit(page.limit + 1)
    .all();
  return { items: await itemsOf(env, rows.slice(0, page.limit)), hasMore: rows.length > page.limit };
}

export async function getItem(env: Env, teamId: string, conversationId: string, id: string): Promise<Item | null> {
  const row = await (await dbOf(env, teamId))
    .select(indexColumns)
    .from(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId), eq(conversationItems.itemId, id)))
    .get();
  return row ? ((await itemsOf(env, [row]))[0] ?? null) : null;
}

/** Any conversation item of the team with this id (an item_reference to it). */
export async function findTeamItem(env: Env, teamId: string, id: string): Promise<Item | null> {
  const row = await (await dbOf(env, teamId))
    .select(indexColumns)
    .from(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.itemId, id)))
    .get();
  return row ? ((await itemsOf(env, [row]))[0] ?? null) : null;
}

export async function deleteItem(env: Env, teamId: string, conversationId: string, id: string): Promise<boolean> {
  const rows = await (await dbOf(env, teamId))
    .delete(conversationItems)
    .where(and(eq(conversationItems.teamId, teamId), eq(conversationItems.conversationId, conversationId), eq(conversationItems.itemId, id)))
    .returning({ bodyKey: conversationItems.bodyKey });
  const keys = rows.flatMap((row) => (row.bodyKey ? [row.bodyKey] : []));
  if (keys.length > 0) await bodyStore(env.BODIES).delete(keys);
  return rows.length > 0;
}
