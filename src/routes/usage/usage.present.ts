import type { RollupSums } from "../../db/usage";
import type { CostsResult, UsageCompletionsResult, UsageEmbeddingsResult } from "../../schemas/usage";
import { encodePage, type UsageQuery } from "./usage.query";

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
    project_id: row.teamId,
    user_id: null,
    api_key_id: row.keyId,
    model: row.model,
    batch: null,
    service_tier: null,
  }));

export const presentEmbeddings = (rows: RollupSums[]): UsageEmbeddingsResult[] =>
  rows.map((row) => ({
    object: "organization.usage.embeddings.result",
    input_tokens: row.inputTokens,
    num_model_requests: row.requests,
    project_id: row.teamId,
    user_id: null,
    api_key_id: row.keyId,
    model: row.model,
  }));

const costResult = (row: RollupSums, value: number, lineItem: string | null, quantity: number | null): CostsResult => ({
  object: "organization.costs.result",
  amount: { value, currency: "usd" },
  line_item: lineItem,
  project_id: row.teamId,
  api_key_id: row.keyId,
  quantity,
  quantity_unit: quantity === null ? null : "tokens",
});

/**
 * Rows come grouped by model as well; without `line_item` they are summed per (project, key) group.
 * With it, each model gives input, cached input and output line items, and a model without a price
 * gives an "unpriced" line item of 0 USD with its token count: listed, never silently left out.
 */
export function presentCosts(lineItems: boolean) {
  return (rows: RollupSums[]): CostsResult[] => {
    if (lineItems) {
      return rows.flatMap((row) => {
        const model = row.model ?? "";
        const items = [
          costResult(row, row.inputCostUsd, `${model}, input`, row.inputTokens - row.cachedInputTokens),
          costResult(row, row.cachedInputCostUsd, `${model}, cached input`, row.cachedInputTokens),
          costResult(row, row.outputCostUsd, `${model}, output`, row.outputTokens),
        ];
        if (row.unpricedRequests > 0) items.push(costResult(row, 0, `${model}, unpriced`, row.inputTokens + row.outputTokens));
        return items;
      });
    }
    const groups = new Map<string, { row: RollupSums; usd: number }>();
    for (const row of rows) {
      const id = `${row.teamId}\u0000${row.keyId}`;
      const group = groups.get(id) ?? { row, usd: 0 };
      group.usd += row.inputCostUsd + row.cachedInputCostUsd + row.outputCostUsd;
      groups.set(id, group);
    }
    return [...groups.values()].map(({ row, usd }) => costResult(row, usd, null, null));
  };
}
