import type { ChatCompletion } from "../schemas/openai";
import type { UsageKind } from "./schema";

// The records the repositories take and give, shared with the layers above them.

export type Metadata = Record<string, string>;
/** The stored chat.completion plus the request settings OpenAI echoes; metadata is kept apart. */
export type StoredBody = ChatCompletion;

export interface NewStoredCompletion {
  teamId: string;
  /** The id the gateway minted and returned. */
  id: string;
  created: number;
  model: string;
  metadata: Metadata;
  body: StoredBody;
  /** The JSON of each of the request's input messages, as sent. */
  messages: string[];
  /** When the id was minted (ms). */
  storedAt: number;
  /** The upstream's own id, for tracing. */
  upstreamId: string | null;
  /** The name of the upstream that answered. */
  upstream: string | null;
}

export interface StoredCompletion {
  id: string;
  created: number;
  body: StoredBody;
  metadata: Metadata;
  /** The name of the upstream that answered (null for rows stored before it was recorded). */
  upstream?: string | null;
}

/** What the queue carries for one proxied request: its counts and its cost, fixed when it finished. */
export interface UsageEvent {
  /** Unique per request: a redelivered message carries the same id and is counted once. */
  id: string;
  teamId: string;
  keyId: string;
  kind: UsageKind;
  model: string;
  upstream: string;
  /** Unix seconds. */
  startedAt: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** No usage came back (a stream cut before its usage chunk): the tokens are unknown, not zero. */
  unknownUsage: boolean;
  priced: boolean;
  inputCostUsd: number;
  cachedInputCostUsd: number;
  outputCostUsd: number;
}
