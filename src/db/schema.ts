import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// The single source of the migrations (`npm run db:generate`).
// Every stored row carries `team_id`, and every key and index starts with it, so a
// query can never reach another team's rows without naming that team.

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name"),
    // Only the SHA-256 of the key is stored; `prefix` is a short display hint.
    keyHash: text("key_hash").notNull(),
    prefix: text("prefix").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    // JSON array of model ids, or NULL for "any model".
    allowedModels: text("allowed_models"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_key_hash").on(t.keyHash), index("api_keys_team").on(t.teamId, t.createdAt)],
);

export const completions = sqliteTable(
  "completions",
  {
    teamId: text("team_id").notNull(),
    id: text("id").notNull(),
    created: integer("created").notNull(),
    model: text("model").notNull(),
    // JSON object; the copy that is returned. `completion_metadata` is the copy that is filtered on.
    metadata: text("metadata").notNull(),
    // JSON of the stored chat.completion (without metadata). NULL when it is too large for one
    // D1 row and lives in `payload_parts` instead (`bodyParts` > 0).
    body: text("body"),
    bodyParts: integer("body_parts").notNull().default(0),
    messageCount: integer("message_count").notNull(),
    storedAt: integer("stored_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.id] }),
    // List order is (created, id): total, because id is unique within a team.
    index("completions_team_created").on(t.teamId, t.created, t.id),
    index("completions_team_model_created").on(t.teamId, t.model, t.created, t.id),
  ],
);

export const completionMetadata = sqliteTable(
  "completion_metadata",
  {
    teamId: text("team_id").notNull(),
    completionId: text("completion_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    // Copied from the completion so that a metadata filter walks its index already in list order.
    created: integer("created").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.completionId, t.key] }),
    index("completion_metadata_filter").on(t.teamId, t.key, t.value, t.created, t.completionId),
  ],
);

export const completionMessages = sqliteTable(
  "completion_messages",
  {
    teamId: text("team_id").notNull(),
    completionId: text("completion_id").notNull(),
    idx: integer("idx").notNull(),
    // JSON of the input message as sent; NULL when it lives in `payload_parts` (`dataParts` > 0).
    data: text("data"),
    dataParts: integer("data_parts").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.completionId, t.idx] })],
);

// Claims a completion id for a team before the answer goes out, so that two requests given the
// same upstream id cannot both return it (INSERT … ON CONFLICT DO NOTHING is atomic).
export const completionIds = sqliteTable(
  "completion_ids",
  {
    teamId: text("team_id").notNull(),
    id: text("id").notNull(),
    claimedAt: integer("claimed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.id] })],
);

// D1 rows are limited to 2 MB, so a large JSON payload (a base64 image, long logprobs) is split
// into ordered parts. `slot` is -1 for the completion body, or the message index.
export const payloadParts = sqliteTable(
  "payload_parts",
  {
    teamId: text("team_id").notNull(),
    completionId: text("completion_id").notNull(),
    slot: integer("slot").notNull(),
    part: integer("part").notNull(),
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.completionId, t.slot, t.part] })],
);

export type CompletionRow = typeof completions.$inferSelect;
export type TeamRow = typeof teams.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
