import { z } from "@hono/zod-openapi";
import { zodErrorToApiError } from "../../http/router";
import type { RollupSums, RollupWidth, UsageGroupColumn } from "../../db/usage";
import { invalidRequest } from "../../errors";
import { nanosToUsd } from "../../lib/money";

// The Usage view's series: one read of one width of the usage rollups, shaped as columns a chart
// draws directly (one value per bucket per group).

/** The most buckets one read may span, per width: a day of minutes, a month of hours, a year of days. */
const MAX_BUCKETS: Record<RollupWidth, number> = { 60: 1440, 3600: 744, 86400: 366 };
const GROUPS = { model: "model", key: "keyId", team: "teamId", upstream: "upstream", none: null } as const;

const SeriesQuerySchema = z.object({
  width: z.enum(["60", "3600", "86400"]).default("3600"),
  from: z.coerce.number().int().min(0),
  to: z.coerce.number().int().min(1),
  group: z.enum(["model", "key", "team", "upstream", "none"]).default("model"),
  team: z.string().min(1).max(128).optional(),
});

export interface SeriesQuery {
  width: RollupWidth;
  from: number;
  to: number;
  group: UsageGroupColumn | null;
  team?: string;
}

export function readSeriesQuery(url: string): SeriesQuery {
  const parsed = SeriesQuerySchema.safeParse(Object.fromEntries(new URL(url).searchParams));
  if (!parsed.success) throw zodErrorToApiError(parsed.error, "query");
  const width = Number(parsed.data.width) as RollupWidth;
  const from = Math.floor(parsed.data.from / width) * width;
  const to = Math.ceil(parsed.data.to / width) * width;
  if (to <= from) throw invalidRequest(`Invalid 'to': must be after 'from' (${parsed.data.from}).`, "to");
  if ((to - from) / width > MAX_BUCKETS[width]) {
    throw invalidRequest(`Invalid 'from': at most ${MAX_BUCKETS[width]} buckets of ${width} s can be read at once.`, "from");
  }
  return { width, from, to, group: GROUPS[parsed.data.group], team: parsed.data.team };
}

export interface Series {
  name: string;
  requests: number[];
  input_tokens: number[];
  output_tokens: number[];
  cost_usd: number[];
}

export function buildSeries(query: SeriesQuery, rows: RollupSums[]) {
  const buckets: number[] = [];
  for (let start = query.from; start < query.to; start += query.width) buckets.push(start);
  const series = new Map<string, Series>();
  const nanos = new Map<string, number[]>();
  for (const row of rows) {
    const name = (query.group ? row[query.group] : null) ?? "all";
    let s = series.get(name);
    if (!s) {
      const zeros = () => buckets.map(() => 0);
      s = { name, requests: zeros(), input_tokens: zeros(), output_tokens: zeros(), cost_usd: zeros() };
      nanos.set(name, zeros());
      series.set(name, s);
    }
    const at = (row.bucketStart - query.from) / query.width;
    s.requests[at] += row.requests;
    s.input_tokens[at] += row.inputTokens;
    s.output_tokens[at] += row.outputTokens;
    // Summed in nano-dollars, exactly, and turned into dollars once per bucket.
    const sum = nanos.get(name)!;
    sum[at] += row.inputCostNanoUsd + row.cachedInputCostNanoUsd + row.outputCostNanoUsd + row.unitsCostNanoUsd;
    s.cost_usd[at] = nanosToUsd(sum[at]);
  }
  return { object: "console.usage", width: query.width, buckets, series: [...series.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}
