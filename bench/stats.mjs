// Pure statistics of the benchmark (no Node or Workers APIs), importable anywhere, tests included.

/** @param {number[]} sorted ascending */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Pools several measured runs of one scenario (made with `keepLatencies`): rps over the summed
 * time, percentiles over all latencies together. The latencies are dropped from the result.
 */
export function mergeRuns(runs) {
  const latencies = runs.flatMap((r) => r.latencies ?? []).sort((a, b) => a - b);
  const sum = (key) => runs.reduce((a, r) => a + (r[key] ?? 0), 0);
  const statusCounts = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.statusCounts ?? {})) statusCounts[code] = (statusCounts[code] ?? 0) + n;
  const ok = sum("ok");
  const seconds = sum("seconds");
  return {
    rounds: runs.length,
    requests: sum("requests"),
    ok,
    non2xx: sum("non2xx"),
    errors: sum("errors"),
    timeouts: sum("timeouts"),
    statusCounts,
    seconds,
    rps: seconds > 0 ? ok / seconds : 0,
    rpsByRound: runs.map((r) => r.rps),
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.length ? latencies[latencies.length - 1] : null,
      mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null,
    },
    p99ByRound: runs.map((r) => r.latencyMs?.p99 ?? null),
    loaderCpuMs: sum("loaderCpuMs"),
  };
}

