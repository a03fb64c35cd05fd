import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// The single source of the migrations (`npm run db:generate`).
// Every stored row carries `team_id`, and every key and index starts with it (but the retention
// purge's, below), so a query can never reach another team's rows without naming that team.

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  // Set when the team is deleted: its keys are revoked at once and its data purged in the background.
  deletedAt: integer("deleted_at"),
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
    // Model ids, or NULL for "any model".
    allowedModels: text("allowed_models", { mode: "json" }).$type<string[]>(),
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
    // The copy that is returned. `completion_metadata` is the copy that is filtered on.
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    // JSON of the stored chat.completion (without metadata). NULL when it is too large for one
    // D1 row and lives in `payload_parts` instead (`bodyParts` > 0).
    body: text("body"),
    bodyParts: integer("body_parts").notNull().default(0),
    messageCount: integer("message_count").notNull(),
    /** When the gateway minted the id (ms); retention counts from here, on the gateway's own clock. */
    storedAt: integer("stored_at").notNull(),
    /** The upstream's own id for this completion, for tracing; the gateway's minted id is the key. */
    upstreamId: text("upstream_id"),
    /** The name of the upstream that answered. */
    upstream: text("upstream"),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.id] }),
    // List order is (created, id): total, because id is unique within a team.
    index("completions_team_created").on(t.teamId, t.created, t.id),
    index("completions_team_model_created").on(t.teamId, t.model, t.created, t.id),
    // The one index that does not lead with team_id: the retention purge crosses every team, oldest
    // first, and must find its next batch without scanning the table.
    index("completions_stored_at").on(t.storedAt, t.teamId, t.id),
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

// A deleted completion's id, so that a write of it still pending (in waitUntil or the queue) can
// never bring it back. Purged by the cron once no write can still be pending.
export const completionTombstones = sqliteTable(
  "completion_tombstones",
  {
    teamId: text("team_id").notNull(),
    completionId: text("completion_id").notNull(),
    deletedAt: integer("deleted_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.completionId] })],
);

// A completion too large for one queue message (128 KB) is retried as several; their pieces wait
// here until all have arrived, then the whole is written and its pieces removed, in one batch.
export const writeSpool = sqliteTable(
  "write_spool",
  {
    teamId: text("team_id").notNull(),
    completionId: text("completion_id").notNull(),
    piece: integer("piece").notNull(),
    pieces: integer("pieces").notNull(),
    data: text("data").notNull(),
    spooledAt: integer("spooled_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.completionId, t.piece] })],
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
