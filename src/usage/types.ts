// What the usage folder shares with the layers above it (the request-finished seam, admission).
import type { UsageKind } from "../db/schema";

/** Token counts as OpenAI's usage objects give them. */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** Audio seconds, as a transcription reports them (`usage.seconds` of type "duration", or `duration`). */
  seconds?: number;
}

export interface RequestFinished {
  teamId: string;
  keyId: string;
  /** The gateway's route, e.g. "/v1/chat/completions". */
  endpoint: string;
  upstream: string | null;
  model: string;
  status: number;
  usage: TokenUsage | null;
  requested: RequestedUnits | null;
  latencyMs: number;
  /** When the request started, in ms since the epoch. */
  startedAt: number;
}

/** What an image or speech request asks for: images (`n`, size, quality), or the characters to speak. */
export interface RequestedUnits {
  units: number;
  size?: string;
  quality?: string;
}

/** A request's cost in nano-dollars, split the way the costs API lists line items. */
export interface RequestCost {
  /** False when neither PRICES nor the database prices what the request used: every amount is then 0. */
  priced: boolean;
  /** The quantity it is priced by is known: the upstream reported it, or the request asked for it. */
  known: boolean;
  /** Images, speech characters or audio seconds (0 for the token kinds). */
  units: number;
  inputNanoUsd: number;
  cachedInputNanoUsd: number;
  outputNanoUsd: number;
  unitsNanoUsd: number;
}

/** What a request is expected to use, before it is sent. */
export interface UsageEstimate {
  kind: UsageKind;
  model: string;
  inputTokens: number;
  outputTokens: number;
  requested: RequestedUnits | null;
}
