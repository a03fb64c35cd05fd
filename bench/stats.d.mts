// Types for bench/stats.mjs.
export interface LoadRun {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  seconds: number;
  rps: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null; mean: number | null };
  loaderCpuMs: number;
  latencies?: number[];
}
export function percentile(sorted: number[], p: number): number | null;
export function mergeRuns(runs: LoadRun[]): Omit<LoadRun, "latencies"> & { rounds: number; rpsByRound: number[]; p99ByRound: (number | null)[] };
