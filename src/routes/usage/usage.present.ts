import type { UsageKind } from "../../db/schema";
import type { RollupSums } from "../../db/usage";
import { nanosToUsd } from "../../lib/money";
import type {
  CostsResult,
  UsageAudioSpeechesResult,
  UsageAudioTranscriptionsResult,
  UsageCompletionsResult,
  UsageEmbeddingsResult,
  UsageImagesResult,
  UsageModerationsResult,
} from "../../schemas/usage";
import { encodePage, IMAGE_SOURCE, type UsageQuery } from "./usage.query";

// Turns rollup sums into OpenAI's page of buckets. Every bucket of the page is listed, empty ones too.

export interface Page<T> {
  object: "page";
  data: { object: "bucket"; start_time: number; end_time: number; results: T[] }[];
  has_more: boolean;
  next_page: string | null;
}

/** The buckets of this page: [pageStart, pageEnd). */
export function pageRange(query: UsageQuery): { from: number; to: number } {
  return { from: query.pageStart, to: Math.min(query.pageStart + query.limit * query.widthSeconds, query.end) };
}

export function buildPage<T>(query: UsageQuery, rows: RollupSums[], present: (rows: RollupSums[]) => T[]): Page<T> {
  const { from, to } = pageRange(query);
  const byBucket = new Map<number, RollupSums[]>();
  for (const row of rows) byBucket.set(row.bucketStart, [...(byBucket.get(row.bucketStart) ?? []), row]);
  const data: Page<T>["data"] = [];
  for (let start = from; start < to; start += query.widthSeconds) {
    data.push({ object: "bucket", start_time: start, end_time: start + query.widthSeconds, results: present(byBucket.get(start) ?? []) });
  }
  const hasMore = to < query.end;
  return { object: "page", data, has_more: hasMore, next_page: hasMore ? encodePage(to) : null };
}

/** The fields every usage result has for its group; the gateway has no users, so `user_id` is null. */
const groupedBy = (row: RollupSums) => ({ project_id: row.teamId, user_id: null, api_key_id: row.keyId, model: row.model });

export const presentCompletions = (rows: RollupSums[]): UsageCompletionsResult[] =>
  rows.map((row) => ({
    object: "organization.usage.completions.result",
    input_tokens: row.inputTokens,
    input_cached_tokens: row.cachedInputTokens,
    input_uncached_tokens: row.inputTokens - row.cachedInputTokens,
    output_tokens: row.outputTokens,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    num_model_requests: row.requests,
    num_model_requests_without_usage: row.unknownUsageRequests,
    ...groupedBy(row),
    batch: null,
    service_tier: null,
  }));

export const presentEmbeddings = (rows: RollupSums[]): UsageEmbeddingsResult[] =>
  rows.map((row) => ({
    object: "organization.usage.embeddings.result",
    input_tokens: row.inputTokens,
    num_model_requests: row.requests,
    ...groupedBy(row),
  }));

export const presentModerations = (rows: RollupSums[]): UsageModerationsResult[] =>
  rows.map((row) => ({
    object: "organization.usage.moderations.result",
    input_tokens: row.inputTokens,
    num_model_requests: row.requests,
    num_model_requests_without_usage: row.unknownUsageRequests,
    ...groupedBy(row),
  }));

/** `source` is named when grouped by: the gateway has one, image generation. */
export const presentImages = (groupBySource: boolean) => (rows: RollupSums[]): UsageImagesResult[] =>
  rows.map((row) => ({
    object: "organization.usage.images.result",
    images: row.units,
    num_model_requests: row.requests,
    source: groupBySource ? IMAGE_SOURCE : null,
    size: row.size,
    ...groupedBy(row),
  }));

export const presentAudioSpeeches = (rows: RollupSums[]): UsageAudioSpeechesResult[] =>
  rows.map((row) => ({
    object: "organization.usage.audio_speeches.result",
    characters: row.units,
    num_model_requests: row.requests,
    ...groupedBy(row),
  }));

export const presentAudioTranscriptions = (rows: RollupSums[]): UsageAudioTranscriptionsResult[] =>
  rows.map((row) => ({
    object: "organization.usage.audio_transcriptions.result",
    seconds: row.units,
    num_model_requests: row.requests,
    num_model_requests_without_usage: row.unknownUsageRequests,
    ...groupedBy(row),
  }));

type QuantityUnit = NonNullable<CostsResult["quantity_unit"]>;

const costResult = (row: RollupSums, nanoUsd: number, lineItem: string | null, quantity: number | null, unit: QuantityUnit = "tokens"): CostsResult => ({
  object: "organization.costs.result",
  // Summed in nano-dollars; converted to dollars here, once, as OpenAI answers them.
  amount: { value: nanosToUsd(nanoUsd), currency: "usd" },
  line_item: lineItem,
  project_id: row.teamId,
  api_key_id: row.keyId,
  quantity,
  quantity_unit: quantity === null ? null : unit,
});

/** The line item of what a media kind is priced by, and its unit; null for the token kinds. */
const UNIT_ITEMS: Partial<Record<UsageKind, { name: string; unit: QuantityUnit }>> = {
  images: { name: "images", unit: "images" },
  audio_speeches: { name: "speech characters", unit: "characters" },
  audio_transcriptions: { name: "audio seconds", unit: "duration_seconds" },
};

/**
 * Rows come grouped by model and kind as well; without `line_item` they are summed per (project,
 * key) group. With it, each model gives input, cached input and output line items (a media model
 * only where it used tokens), its images, speech characters or audio seconds, and, when it has no
 * price, an "unpriced" line item of 0 USD with its quantity: listed, never silently left out.
 */
export function presentCosts(lineItems: boolean) {
  return (rows: RollupSums[]): CostsResult[] => {
    if (lineItems) {
      return rows.flatMap((row) => {
        const model = row.model ?? "";
        const unitItem = row.kind ? UNIT_ITEMS[row.kind] : undefined;
        const tokens = row.inputTokens + row.outputTokens;
        const items: CostsResult[] = [];
        if (!unitItem || tokens > 0) {
          items.push(
            costResult(row, row.inputCostNanoUsd, `${model}, input`, row.inputTokens - row.cachedInputTokens),
            costResult(row, row.cachedInputCostNanoUsd, `${model}, cached input`, row.cachedInputTokens),
            costResult(row, row.outputCostNanoUsd, `${model}, output`, row.outputTokens),
          );
        }
        if (unitItem) items.push(costResult(row, row.unitsCostNanoUsd, `${model}, ${unitItem.name}`, row.units, unitItem.unit));
        if (row.unpricedRequests > 0) {
          items.push(unitItem ? costResult(row, 0, `${model}, unpriced`, row.units, unitItem.unit) : costResult(row, 0, `${model}, unpriced`, tokens));
        }
        return items;
      });
    }
    const groups = new Map<string, { row: RollupSums; nanoUsd: number }>();
    for (const row of rows) {
      const id = `${row.teamId}\u0000${row.keyId}`;
      const group = groups.get(id) ?? { row, nanoUsd: 0 };
      group.nanoUsd += row.inputCostNanoUsd + row.cachedInputCostNanoUsd + row.outputCostNanoUsd + row.unitsCostNanoUsd;
      groups.set(id, group);
    }
    return [...groups.values()].map(({ row, nanoUsd }) => costResult(row, nanoUsd, null, null));
  };
}
