// The shapes of stored-completion queries, shared by the store (src/completion-store/) and the routes.
export type { Metadata, NewStoredCompletion, StoredBody, StoredCompletion } from "./types";

export type Order = "asc" | "desc";

export interface ListCompletionsQuery {
  teamId: string;
  model?: string;
  /** Pairs that must all match; a key may repeat (then nothing matches unless values agree). */
  metadata?: [string, string][];
  after?: string;
  /** `created` range (Unix seconds): from inclusive, to exclusive. Both walk the same index as the list. */
  createdFrom?: number;
  createdTo?: number;
  limit: number;
  order: Order;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}
