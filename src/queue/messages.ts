import type { NewStoredCompletion, UsageEvent } from "../db/types";
import type { UpstreamOutcome } from "../db/upstream-stats";
import type { StoredResponse } from "../responses/types";
// The messages of the gateway's one background queue. Each kind has one consumer module.


/** One counted request (src/usage/record-usage.ts writes it). */
export interface UsageMessage {
  kind: "usage";
  event: UsageEvent;
  /** How its upstream fared (absent in messages sent before outcomes were recorded). */
  outcome?: UpstreamOutcome;
}

/** A request whose upstream failed: no usage, but an outcome for that upstream's error rate (src/usage/record-usage.ts). */
export interface UpstreamOutcomeMessage {
  kind: "upstream.outcome";
  outcome: UpstreamOutcome;
}

/** A completion whose write did not land in waitUntil (src/completion-store/queued-write.ts). */
export interface StoreCompletionMessage {
  kind: "store.completion";
  teamId: string;
  completionId: string;
  record: NewStoredCompletion;
}

/** One piece of a completion too large for one message; the pieces meet in D1's write_spool. */
export interface StoreCompletionPieceMessage {
  kind: "store.completion.piece";
  teamId: string;
  completionId: string;
  piece: number;
  pieces: number;
  /** A slice of the record's JSON. */
  data: string;
}

/** A stored response whose write did not land in waitUntil (src/responses/store.ts). */
export interface StoreResponseMessage {
  kind: "store.response";
  teamId: string;
  responseId: string;
  /** The whole record when its body is not in R2 yet; null when only the index row is missing (the body landed). */
  record: StoredResponse | null;
}

/** One piece of a response too large for one message, sent when its body is not in R2; the pieces meet in D1's write_spool. */
export interface StoreResponsePieceMessage {
  kind: "store.response.piece";
  teamId: string;
  responseId: string;
  piece: number;
  pieces: number;
  /** A slice of the record's JSON. */
  data: string;
}

/** Items a completed response adds to its conversation, when that write did not land at once. */
export interface AppendConversationMessage {
  kind: "conversation.append";
  teamId: string;
  conversationId: string;
  items: Record<string, unknown>[];
}

/** One piece of a conversation append too large for one message; the pieces meet in D1's write_spool under `appendId`. */
export interface AppendConversationPieceMessage {
  kind: "conversation.append.piece";
  teamId: string;
  conversationId: string;
  appendId: string;
  piece: number;
  pieces: number;
  /** A slice of the items' JSON. */
  data: string;
}

/** Deletes the next batch of a deleted team's rows, then sends itself again until none are left (src/teams/purge.ts). */
export interface PurgeTeamMessage {
  kind: "team.purge";
  teamId: string;
}

/** Seeds a budget set two minutes ago once more from D1's count (src/limits/budget-seed.ts). */
export interface BudgetSeedMessage {
  kind: "limits.budget.seed";
  teamId: string;
  /** Absent: the team's own budget. */
  keyId?: string;
}

/** Moves the next batch of a shard's inline completions to R2, then sends itself again until none are left (src/completion-store/migrate-inline.ts). */
export interface MigrateInlineMessage {
  kind: "store.migrate_inline";
  shard: number;
}

/** Packs a team's next runs of stored completions for lists, then sends itself again while more are ready (src/completion-store/packs.ts). */
export interface PackCompletionsMessage {
  kind: "store.pack";
  teamId: string;
}

/** Takes a deleted completion's answer out of its pack, when that did not work at once (src/completion-store/packs.ts). */
export interface UnpackCompletionMessage {
  kind: "store.unpack";
  teamId: string;
  /** The completion's `created` and compact id: its place in list order, which finds its pack. */
  created: number;
  id: string;
}

export type BackgroundMessage =
  | MigrateInlineMessage
  | PackCompletionsMessage
  | UnpackCompletionMessage
  | StoreCompletionMessage
  | StoreResponseMessage
  | StoreResponsePieceMessage
  | AppendConversationMessage
  | AppendConversationPieceMessage
  | StoreCompletionPieceMessage
  | PurgeTeamMessage
  | UsageMessage
  | UpstreamOutcomeMessage
  | BudgetSeedMessage;
