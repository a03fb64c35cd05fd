import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export type BudgetPeriod = "daily" | "monthly" | "total";

// The tables, as Drizzle sees them. Migrations up to 0004 were generated from here; later ones are
// written by hand (WITHOUT ROWID tables and partial indexes, which drizzle-kit does not write).
// Every stored row carries its team (`team_id`, or the integer `tid` in the store's tables), and
// every key and index starts with it (but the retention purge's), so a query can never reach
// another team's rows without naming that team.
// Money is stored as INTEGER nano-dollars (1e-9 USD, src/lib/money.ts), never as REAL.

/** Budgets and rate limits, the same on teams and keys; NULL means none. (A function: each table needs its own column builders.) */
const limitColumns = () => ({
  /** Nano-dollars. */
  maxBudgetNanoUsd: integer("max_budget_nano_usd"),
  budgetPeriod: text("budget_period").$type<BudgetPeriod>().notNull().default("monthly"),
  rpmLimit: integer("rpm_limit"),
  tpmLimit: integer("tpm_limit"),
});

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  ...limitColumns(),
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
    // A revoked key stops working and stays listed; a deleted one (revoked too) leaves every list.
    revokedAt: integer("revoked_at"),
    deletedAt: integer("deleted_at"),
    ...limitColumns(),
  },
  (t) => [uniqueIndex("api_keys_key_hash").on(t.keyHash), index("api_keys_team").on(t.teamId, t.createdAt)],
);

// The shard map, in the control database (DB): a team's shard, and its integer id, which names it in
// the shard's tables and in R2 keys (never reused: AUTOINCREMENT).
export const teamStore = sqliteTable(
  "team_store",
  {
    storeId: integer("store_id").primaryKey({ autoIncrement: true }),
    teamId: text("team_id").notNull(),
    shard: integer("shard").notNull(),
  },
  (t) => [uniqueIndex("team_store_team").on(t.teamId)],
);

// The slim index of stored completions (WITHOUT ROWID; written by hand in migrations/0006): one row
// per completion in its team's shard, keyed by the team's integer id and the minted id without its
// prefix. Bodies live in R2 (src/store/bodies.ts). Every column is short: D1 bills and caps bytes.
export const completionIndex = sqliteTable(
  "completion_index",
  {
    tid: integer("tid").notNull(),
    id: text("id").notNull(),
    created: integer("created").notNull(),
    model: text("model").notNull(),
    /** JSON of the metadata as returned; NULL for none. */
    meta: text("meta"),
    /** When the id was minted (ms): retention, and the R2 day of the body. */
    at: integer("at").notNull(),
    /** 48 bits of the hash of the input messages: finds an earlier request whose messages this one re-sends. */
    conv: integer("conv"),
    /** The name of the upstream that answered. */
    up: text("up"),
    /** Number of input messages. */
    msgs: integer("msgs").notNull(),
    /** Bytes of the body in R2 (compressed), its segments not counted. */
    bytes: integer("bytes").notNull(),
    /** 1: the body is in R2; 0: still inline in the old tables (the migration job moves it). */
    loc: integer("loc").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tid, t.id] }),
    index("completion_index_created").on(t.tid, t.created, t.id),
    index("completion_index_model").on(t.tid, t.model, t.created, t.id),
    index("completion_index_conv").on(t.tid, t.conv, t.at),
    index("completion_index_at").on(t.at),
  ],
);

// Packs: a run of a team's completions, in list order, whose answers were copied into one R2 object
// (t/{tid}/{day}/p/{id}) so that a list page reads a few objects instead of one per completion
// (WITHOUT ROWID; written by hand in migrations/0014). A pack is named by its first completion.
export const completionPacks = sqliteTable(
  "completion_packs",
  {
    tid: integer("tid").notNull(),
    /** The first completion's `created` and (compact) id: the pack's place in list order. */
    created: integer("created").notNull(),
    id: text("id").notNull(),
    /** The last completion's, where the next pack starts. */
    lastCreated: integer("last_created").notNull(),
    lastId: text("last_id").notNull(),
    /** A time (ms) in the day all its completions were stored: the R2 day of the pack, and retention. */
    at: integer("at").notNull(),
    /** How many completions it holds. */
    n: integer("n").notNull(),
    /** 0 from its claim until its object is written and checked against deletes; then 1. */
    ready: integer("ready").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tid, t.created, t.id] }), index("completion_packs_at").on(t.at)],
);

// Metadata pairs for filtering, stored once (WITHOUT ROWID: the table is the index, in list order).
export const completionFilters = sqliteTable(
  "completion_filters",
  {
    tid: integer("tid").notNull(),
    k: text("k").notNull(),
    v: text("v").notNull(),
    created: integer("created").notNull(),
    id: text("id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tid, t.k, t.v, t.created, t.id] })],
);

// The tables below, up to the tombstones, hold completions stored inline before bodies moved to R2;
// the migration job (src/completion-store/migrate-inline.ts) empties them.
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
  (t) => [primaryKey({ columns: [t.teamId, t.id] })],
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
  (t) => [primaryKey({ columns: [t.teamId, t.completionId, t.key] })],
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

// Usage. One row per counted request, kept a few days only so that a redelivered queue
// message is recognised by its id and not counted twice.
export const usageEvents = sqliteTable(
  "usage_events",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    // The consumer run that inserted it; the rollups of a run add only the rows it inserted.
    batchId: text("batch_id").notNull(),
    keyId: text("key_id").notNull(),
    kind: text("kind").$type<UsageKind>().notNull(),
    model: text("model").notNull(),
    upstream: text("upstream").notNull(),
    startedAt: integer("started_at").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    cachedInputTokens: integer("cached_input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    // 1 when the upstream reported no usage (a stream cut before its usage chunk): tokens unknown, not zero.
    unknownUsage: integer("unknown_usage").notNull(),
    priced: integer("priced").notNull(),
    // Images, speech characters or audio seconds, as the kind counts them (0 for token kinds).
    units: integer("units").notNull().default(0),
    // The image size asked for ("1024x1024"); "" for every other kind.
    size: text("size").notNull().default(""),
    // Nano-dollars.
    inputCostNanoUsd: integer("input_cost_nano_usd").notNull().default(0),
    cachedInputCostNanoUsd: integer("cached_input_cost_nano_usd").notNull().default(0),
    outputCostNanoUsd: integer("output_cost_nano_usd").notNull().default(0),
    unitsCostNanoUsd: integer("units_cost_nano_usd").notNull().default(0),
  },
  (t) => [index("usage_events_batch").on(t.batchId), index("usage_events_team").on(t.teamId, t.startedAt)],
);

// Sums per minute, hour and day, so that the usage API reads a few rows per bucket, not requests.
export const usageRollups = sqliteTable(
  "usage_rollups",
  {
    teamId: text("team_id").notNull(),
    /** Bucket width in seconds: 60, 3600 or 86400. */
    width: integer("width").notNull(),
    bucketStart: integer("bucket_start").notNull(),
    kind: text("kind").$type<UsageKind>().notNull(),
    keyId: text("key_id").notNull(),
    model: text("model").notNull(),
    upstream: text("upstream").notNull(),
    size: text("size").notNull().default(""),
    requests: integer("requests").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    cachedInputTokens: integer("cached_input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    unknownUsageRequests: integer("unknown_usage_requests").notNull(),
    unpricedRequests: integer("unpriced_requests").notNull(),
    units: integer("units").notNull().default(0),
    // Nano-dollars.
    inputCostNanoUsd: integer("input_cost_nano_usd").notNull().default(0),
    cachedInputCostNanoUsd: integer("cached_input_cost_nano_usd").notNull().default(0),
    outputCostNanoUsd: integer("output_cost_nano_usd").notNull().default(0),
    unitsCostNanoUsd: integer("units_cost_nano_usd").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.width, t.kind, t.bucketStart, t.keyId, t.model, t.upstream, t.size] }),
    // The admin token reads every team's rows of a range.
    index("usage_rollups_range").on(t.width, t.kind, t.bucketStart),
  ],
);

/**
 * What a counted request was, as OpenAI's usage API splits it: "completions" (chat and legacy),
 * "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions" (translations
 * too), or "other" (rows counted before the media kinds had their own).
 */
export type UsageKind = "completions" | "embeddings" | "moderations" | "images" | "audio_speeches" | "audio_transcriptions" | "other";

export type CompletionRow = typeof completions.$inferSelect;
export type TeamRow = typeof teams.$inferSelect;
/** The limit columns of a team or key row. */
export type LimitColumns = Pick<TeamRow, "maxBudgetNanoUsd" | "budgetPeriod" | "rpmLimit" | "tpmLimit">;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
