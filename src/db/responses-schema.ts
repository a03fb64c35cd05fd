import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// The Responses API's tables (migrations/0009_responses.sql, written by hand). Every key and index
// leads with team_id but the retention purge's, as in schema.ts.

/** The index of stored responses; the body is the R2 object `body_key`. */
export const responses = sqliteTable(
  "responses",
  {
    teamId: text("team_id").notNull(),
    id: text("id").notNull(),
    created: integer("created").notNull(),
    model: text("model").notNull(),
    status: text("status").notNull(),
    /** When the id was minted (ms): retention counts from here. */
    storedAt: integer("stored_at").notNull(),
    bodyKey: text("body_key").notNull(),
    bodyBytes: integer("body_bytes").notNull(),
    upstream: text("upstream"),
    previousResponseId: text("previous_response_id"),
    conversationId: text("conversation_id"),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.id] }), index("responses_team_created").on(t.teamId, t.created, t.id), index("responses_stored_at").on(t.storedAt, t.teamId, t.id)],
);

/** A deleted response's id, so that a write of it still pending can never bring it back. */
export const responseTombstones = sqliteTable(
  "response_tombstones",
  {
    teamId: text("team_id").notNull(),
    responseId: text("response_id").notNull(),
    deletedAt: integer("deleted_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.responseId] })],
);

export const conversations = sqliteTable(
  "conversations",
  {
    teamId: text("team_id").notNull(),
    id: text("id").notNull(),
    createdAt: integer("created_at").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.id] })],
);

/**
 * The index of a conversation's items, in order (`seq`); each item's JSON is the R2 object
 * `body_key` (migrations/0010), or `data` for an item written before bodies moved there.
 */
export const conversationItems = sqliteTable(
  "conversation_items",
  {
    teamId: text("team_id").notNull(),
    conversationId: text("conversation_id").notNull(),
    seq: integer("seq").notNull(),
    itemId: text("item_id").notNull(),
    data: text("data"),
    /** When the item was added (unix seconds); 0 for an item written before this was kept. */
    createdAt: integer("created_at").notNull().default(0),
    /** The size of the item's JSON. */
    bytes: integer("bytes").notNull().default(0),
    bodyKey: text("body_key"),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.conversationId, t.seq] }),
    uniqueIndex("conversation_items_item").on(t.teamId, t.conversationId, t.itemId),
    index("conversation_items_by_item").on(t.teamId, t.itemId),
  ],
);
