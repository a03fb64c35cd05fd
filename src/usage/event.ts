import type { ModelPriceOverride } from "../config/usage";
import type { UsageKind } from "../db/schema";
import type { UsageEvent } from "../db/types";
import { costOf } from "./pricing";
import type { RequestFinished } from "./types";

const KIND_BY_ENDPOINT: Record<string, UsageKind> = {
  "/v1/chat/completions": "completions",
  "/v1/completions": "completions",
  "/v1/responses": "completions",
  "/v1/embeddings": "embeddings",
};

const usageKindOf = (endpoint: string): UsageKind => KIND_BY_ENDPOINT[endpoint] ?? "other";

export function buildUsageEvent(record: RequestFinished, prices: Record<string, ModelPriceOverride>, id = crypto.randomUUID()): UsageEvent {
  const usage = record.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  const cost = costOf(record.model, usage, prices);
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
    unknownUsage: record.usage === null,
    priced: cost.priced,
    inputCostUsd: cost.inputUsd,
    cachedInputCostUsd: cost.cachedInputUsd,
    outputCostUsd: cost.outputUsd,
  };
}

/** OpenAI's usage objects (chat: prompt/completion tokens; Responses-style: input/output) -> TokenUsage. */
export function tokenUsageFrom(raw: unknown): { inputTokens: number; cachedInputTokens: number; outputTokens: number } | null {
  if (!raw || typeof raw !== "object") return null;
  const u = raw as Record<string, any>;
  const input = u.prompt_tokens ?? u.input_tokens;
  if (typeof input !== "number") return null;
  const output = u.completion_tokens ?? u.output_tokens ?? 0;
  const cached = u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens ?? 0;
  return { inputTokens: input, cachedInputTokens: typeof cached === "number" ? cached : 0, outputTokens: typeof output === "number" ? output : 0 };
}
