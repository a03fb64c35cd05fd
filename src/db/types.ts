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
  /** The quantity the request is priced by never came (a stream cut before its usage chunk): unknown, not zero. */
  unknownUsage: boolean;
  priced: boolean;
  /** Images, speech characters or audio seconds, as the kind counts them (0 for the token kinds). */
  units: number;
  /** The image size asked for; "" for every other kind. */
  size: string;
  /** Nano-dollars (1e-9 USD). */
  inputCostNanoUsd: number;
  cachedInputCostNanoUsd: number;
  outputCostNanoUsd: number;
  unitsCostNanoUsd: number;
}
