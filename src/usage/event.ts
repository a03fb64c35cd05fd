import type { ModelPriceOverride } from "../config/usage";
import type { UsageKind } from "../db/schema";
import type { UsageEvent } from "../db/types";
import { usdToNanos } from "../lib/money";
import { priceRequest } from "./pricing";
import type { RequestCost, RequestedUnits, RequestFinished, TokenUsage } from "./types";

const KIND_BY_ENDPOINT: Record<string, UsageKind> = {
  "/v1/chat/completions": "completions",
  "/v1/completions": "completions",
  "/v1/responses": "completions",
  "/v1/embeddings": "embeddings",
  "/v1/moderations": "moderations",
  "/v1/images/generations": "images",
  "/v1/audio/speech": "audio_speeches",
  // OpenAI's usage API counts translations with transcriptions.
  "/v1/audio/transcriptions": "audio_transcriptions",
  "/v1/audio/translations": "audio_transcriptions",
};

export const usageKindOf = (endpoint: string): UsageKind => KIND_BY_ENDPOINT[endpoint] ?? "other";

/** A finished request's usage event; `cost` is given when it was priced already (to settle its reservation). */
export function buildUsageEvent(
  record: RequestFinished,
  prices: Record<string, ModelPriceOverride>,
  cost: RequestCost = priceRequest(usageKindOf(record.endpoint), record.model, record.usage, record.requested, prices),
  id = crypto.randomUUID(),
): UsageEvent {
  const usage = record.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  return {
    id,
    teamId: record.teamId,
    keyId: record.keyId,
    kind: usageKindOf(record.endpoint),
    model: record.model,
    upstream: record.upstream ?? "",
    startedAt: Math.floor(record.startedAt / 1000),
    inputTokens: usage.inputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    outputTokens: usage.outputTokens,
    unknownUsage: !cost.known,
    priced: cost.priced,
    units: cost.units,
    size: record.requested?.size ?? "",
    inputCostNanoUsd: cost.inputNanoUsd,
    cachedInputCostNanoUsd: cost.cachedInputNanoUsd,
    outputCostNanoUsd: cost.outputNanoUsd,
    unitsCostNanoUsd: cost.unitsNanoUsd,
  };
}

/** A usage event as queued before costs were nano-dollars: its dollars, to be converted on delivery. */
interface DollarUsageEvent {
  inputCostUsd?: number;
  cachedInputCostUsd?: number;
  outputCostUsd?: number;
}

/**
 * An event as the queue delivers it. One queued before costs were counted in nano-dollars (and before
 * media units) still counts: its dollars are converted, and it has no units.
 */
export function deliveredUsageEvent(event: UsageEvent | (Omit<UsageEvent, "inputCostNanoUsd" | "cachedInputCostNanoUsd" | "outputCostNanoUsd" | "unitsCostNanoUsd" | "units" | "size"> & DollarUsageEvent)): UsageEvent {
  if ("inputCostNanoUsd" in event) return event;
  const { inputCostUsd, cachedInputCostUsd, outputCostUsd, ...rest } = event;
  return {
    ...rest,
    units: 0,
    size: "",
    inputCostNanoUsd: usdToNanos(inputCostUsd ?? 0),
    cachedInputCostNanoUsd: usdToNanos(cachedInputCostUsd ?? 0),
    outputCostNanoUsd: usdToNanos(outputCostUsd ?? 0),
    unitsCostNanoUsd: 0,
  };
}

/**
 * OpenAI's usage objects -> TokenUsage: chat (prompt/completion tokens), Responses-style and
 * images (input/output), and a transcription's `{"type":"duration","seconds"}`.
 */
export function tokenUsageFrom(raw: unknown): TokenUsage | null {
  if (!raw || typeof raw !== "object") return null;
  const u = raw as Record<string, any>;
  if (u.type === "duration" && typeof u.seconds === "number" && u.seconds >= 0) return { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, seconds: Math.ceil(u.seconds) };
  const input = u.prompt_tokens ?? u.input_tokens;
  if (typeof input !== "number") return null;
  const output = u.completion_tokens ?? u.output_tokens ?? 0;
  const cached = u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens ?? 0;
  return { inputTokens: input, cachedInputTokens: typeof cached === "number" ? cached : 0, outputTokens: typeof output === "number" ? output : 0 };
}

const positiveCount = (value: unknown) => (typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 1);

/**
 * What an image or speech request asks for, read from its body: the images (`n`, default 1, at the
 * size and quality asked, by default dall-e's "1024x1024" and "standard"), or the characters of
 * `input` to speak (counted in code points). Null for every other kind.
 */
export function requestedUnits(kind: UsageKind, request: Record<string, unknown>): RequestedUnits | null {
  if (kind === "images") {
    return {
      units: positiveCount(request.n),
      size: typeof request.size === "string" ? request.size : "1024x1024",
      quality: typeof request.quality === "string" ? request.quality : "standard",
    };
  }
  if (kind === "audio_speeches") return { units: typeof request.input === "string" ? [...request.input].length : 0 };
  return null;
}
