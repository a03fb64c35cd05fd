import type { Context } from "hono";
import type { ConsoleEnv } from "../../console/env";
import { shardsOfTeams } from "../../store/shards";
import { LATENCY_BUCKETS, latencyPercentile, UpstreamStatsRepository, type UpstreamSums } from "../../db/upstream-stats";
import { readSeriesQuery } from "./console.series";

type ConsoleContext = Context<ConsoleEnv>;

interface UpstreamSeries {
  name: string;
  requests: number[];
  errors: number[];
  fallbacks: number[];
  /** Upper bound (ms) of the histogram bucket that holds the percentile; null: no requests, or beyond the last bound. */
  p50_ms: (number | null)[];
  p95_ms: (number | null)[];
  total: { requests: number; errors: number; fallbacks: number; p50_ms: number | null; p95_ms: number | null };
}

/**
 * GET /console/api/upstreams: each upstream's requests, errors, fallbacks and latency percentiles
 * per bucket, from one read of one width of the upstream rollups. Scoped like the usage series.
 */
export async function upstreamSeries(c: ConsoleContext) {
  const query = readSeriesQuery(c.req.url);
  const session = c.get("consoleSession");
  const teamIds = session.kind === "team" ? [session.teamId] : query.team ? [query.team] : null;
  // Outcomes live in each team's shard; rows of the same bucket and upstream from several shards add up below.
  const rows = (
    await Promise.all((await shardsOfTeams(c.env, teamIds)).map(({ db, teamIds: there }) => new UpstreamStatsRepository(db).sums({ width: query.width, from: query.from, to: query.to, teamIds: there })))
  ).flat();
  const buckets: number[] = [];
  for (let start = query.from; start < query.to; start += query.width) buckets.push(start);
  const byName = new Map<string, { series: UpstreamSeries; histograms: number[][]; whole: number[] }>();
  for (const row of rows) byName.set(row.upstream, add(byName.get(row.upstream) ?? empty(row.upstream, buckets.length), row, (row.bucketStart - query.from) / query.width));
  const upstreams = [...byName.values()].map(({ series, histograms, whole }) => ({
    ...series,
    p50_ms: histograms.map((h) => latencyPercentile(h, 0.5)),
    p95_ms: histograms.map((h) => latencyPercentile(h, 0.95)),
    total: { ...series.total, p50_ms: latencyPercentile(whole, 0.5), p95_ms: latencyPercentile(whole, 0.95) },
  }));
  return c.json({ object: "console.upstreams", width: query.width, buckets, upstreams: upstreams.sort((a, b) => a.name.localeCompare(b.name)) }, 200);
}

function empty(name: string, length: number) {
  const zeros = () => Array.from({ length }, () => 0);
  return {
    series: { name, requests: zeros(), errors: zeros(), fallbacks: zeros(), p50_ms: [], p95_ms: [], total: { requests: 0, errors: 0, fallbacks: 0, p50_ms: null, p95_ms: null } } as UpstreamSeries,
    histograms: Array.from({ length }, () => Array.from({ length: LATENCY_BUCKETS }, () => 0)),
    whole: Array.from({ length: LATENCY_BUCKETS }, () => 0),
  };
}

function add(entry: ReturnType<typeof empty>, row: UpstreamSums, at: number) {
  const { series } = entry;
  series.requests[at] += row.requests;
  series.errors[at] += row.errors;
  series.fallbacks[at] += row.fallbacks;
  series.total.requests += row.requests;
  series.total.errors += row.errors;
  series.total.fallbacks += row.fallbacks;
  row.histogram.forEach((count, i) => {
    entry.histograms[at][i] += count;
    entry.whole[i] += count;
  });
  return entry;
}
