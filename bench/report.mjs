// The benchmark's targets and its printed report. Pure functions of the figures, so a test can
// check them without running anything.

/** Streamed CPU scenarios run twice: with the bench's usual 8 chunks, and with 200 (an answer of about 800 tokens). */
export const LONG_CHUNKS = 200;
export const SHORT_CHUNKS = 8;
/** The key of a streamed CPU scenario's 200-chunk run. */
export const long = (key) => `${key}_${LONG_CHUNKS}`;

/**
 * The performance targets, as differences (or ratios where the bases' own costs are comparable) from
 * one run, so that machine noise cancels. "cpu" figures are the worker isolate's own CPU per response,
 * from the V8 profiler (`f.cpu`), with usage counting on unless the scenario says otherwise: under
 * Miniflare, D1 and the queues run on the worker's thread, so an rps ratio would charge their
 * simulators to the gateway. `value(figures)` returns the figure (null when it is missing, or when
 * its feature does not exist yet: the Responses API's and the console's scenarios only run once
 * their routes answer).
 */
export const TARGETS = [
  { id: "stream_cpu_us", label: "stream cpu", value: (f) => cpuDifference(f, "gateway_stream", "floor_stream"), ...addsAtMost(170, "µs", 0) },
  { id: "stream_rps_floor", label: "stream rps/floor", value: (f) => ratio(f.scenarios.gateway_stream?.rps, f.scenarios.floor_stream?.rps), ...atLeast(0.8) },
  { id: "cpu_us", label: "cpu", value: (f) => cpuDifference(f, "gateway", "floor"), ...addsAtMost(100, "µs", 0) },
  { id: "store_cpu_us", label: "store", value: (f) => cpuDifference(f, "gateway_store", "gateway"), ...addsAtMost(200, "µs", 0) },
  { id: "stream_store_cpu_us", label: "stream+store", value: (f) => cpuDifference(f, "gateway_stream_store", "gateway_stream"), ...addsAtMost(300, "µs", 0) },
  { id: "usage_cpu_us", label: "usage", value: (f) => cpuDifference(f, "gateway", "gateway_counting_off"), ...addsAtMost(40, "µs", 0) },
  {
    id: "responses_unstored_stream_cpu_us",
    label: "responses unstored stream",
    value: (f) => cpuDifference(f, "responses_unstored_stream", "floor_stream"),
    ...addsAtMost(170, "µs", 0),
  },
  {
    id: "responses_stored_stream_chat_cpu_us",
    label: "responses stored stream/chat",
    value: (f) => cpuDifference(f, "responses_stored_stream", "gateway_stream_store"),
    ...addsAtMost(100, "µs", 0),
  },
  { id: "translated_chat_stream", label: "translated/chat stream", value: (f) => cpuRatio(f, "translated_stream", "gateway_stream_store"), ...atMost(1.5, 1) },
  {
    id: "ttfb_p50_ms",
    label: "ttfb",
    value: (f) => difference(f.ttfb?.gateway?.firstByteMs?.p50, f.ttfb?.direct?.firstByteMs?.p50),
    ...addsAtMost(2, "ms", 1),
  },
  // The slower of the console's list page and its 30-day usage chart, against a get.
  { id: "console_get_p99", label: "console p99/get", value: (f) => maxOf(p99Ratio(f, "console_list", "get"), p99Ratio(f, "console_usage_chart", "get")), ...atMost(2, 1) },
  { id: "list_get_p99", label: "list/get p99", value: (f) => p99Ratio(f, "list", "get"), ...atMost(2, 1) },
  { id: "heap_10k_1k", label: "heap", value: (f) => ratio(f.heap?.after10k?.usedBytes, f.heap?.after1k?.usedBytes), ...atMost(1.1) },
];

/**
 * The cost of one more chunk on each path, from the 8- and 200-chunk runs of the same scenario
 * (round by round, median): the floor (the upstream's body returned as it is); the gateway's native
 * path (the upstream's body to the client, a `tee()` copy watched); of that, what the copy adds over
 * the floor; a rewritten (stored) stream; a translated one (Responses from a chat upstream).
 */
export const PER_CHUNK = [
  { id: "floor", label: "floor", value: (f) => perChunk(f, "floor_stream") },
  { id: "native", label: "native", value: (f) => perChunk(f, "gateway_stream") },
  { id: "tee_copy", label: "tee copy", value: (f) => difference(perChunk(f, "gateway_stream"), perChunk(f, "floor_stream")) },
  { id: "rewritten", label: "rewritten", value: (f) => perChunk(f, "gateway_stream_store") },
  { id: "translated", label: "translated", value: (f) => perChunk(f, "translated_stream") },
];

function perChunk(f, scenario) {
  return perRound(f, long(scenario), scenario, (a, b) => (typeof a === "number" && typeof b === "number" ? (a - b) / (LONG_CHUNKS - SHORT_CHUNKS) : null));
}

/** `per chunk: floor 0.3 µs, native 0.5 µs, …`, n/a where a path has no figures. */
export function formatPerChunk(figures) {
  return `per chunk: ${PER_CHUNK.map((p) => {
    const v = p.value(figures);
    return `${p.label} ${v === null ? "n/a" : `${v.toFixed(2)} µs`}`;
  }).join(", ")}`;
}

/** The closing line: the targets, then the per-chunk figures of the 200-chunk runs. */
export function formatClosingLine(figures) {
  return `${formatRatioLine(evaluateTargets(figures))}; ${formatPerChunk(figures)}`;
}

const maxOf = (...values) => (values.some((v) => v === null) ? null : Math.max(...values));

/** The usage and limits bench items, on a line of their own. */
export const USAGE_TARGETS = [
  { id: "usage_gateway_rps", label: "usage on/gateway rps", value: (f) => ratio(f.scenarios.gateway_usage?.rps, f.scenarios.gateway?.rps), format: (v) => v.toFixed(2) },
  { id: "limited_gateway_rps", label: "limited key/gateway rps", value: (f) => ratio(f.scenarios.gateway_limited?.rps, f.scenarios.gateway?.rps), format: (v) => v.toFixed(2) },
  { id: "usage_api_get_p99", label: "usage API 30 days/get p99", value: (f) => p99Ratio(f, "usage_api", "get"), ...atMost(2) },
];

/** Figures shown next to the targets, without a target of their own. */
export const INFO = [
  { id: "list100_get_p99", label: "list limit 100/get p99 (at most 3)", value: (f) => p99Ratio(f, "list_100", "get"), format: (v) => `${v.toFixed(2)} ${v <= 3 ? "PASS" : "FAIL"}` },
  { id: "list_metadata_get_p99", label: "list+meta/get p99", value: (f) => p99Ratio(f, "list_metadata", "get"), format: (v) => v.toFixed(2) },
  {
    id: "list_small_get_p99",
    label: "list(small team) p99/get p99",
    value: (f) => p99Ratio(f, "list_small_team", "get"),
    format: (v) => v.toFixed(2),
  },
  {
    id: "gateway_floor_workerd_cpu",
    label: "gateway/floor workerd process CPU",
    value: (f) => ratio(f.scenarios.gateway?.workerCpuUsPerRequest, f.scenarios.floor?.workerCpuUsPerRequest),
    format: (v) => v.toFixed(2),
  },
  {
    id: "store_gateway_rps",
    label: "store/gateway rps (retired: the local D1 runs on the worker's thread)",
    value: (f) => ratio(f.scenarios.gateway_store?.rps, f.scenarios.gateway?.rps),
    format: (v) => v.toFixed(2),
  },
];

/**
 * A CPU figure is compared within each round (the scenarios of a round run minutes apart at most),
 * and the median over rounds is kept, so that one round on a busy machine does not decide it.
 */
function perRound(f, scenario, base, compare) {
  const a = f.cpu?.[scenario]?.isolateUsPerResponseByRound;
  const b = f.cpu?.[base]?.isolateUsPerResponseByRound;
  if (!Array.isArray(a) || !Array.isArray(b)) return compare(f.cpu?.[scenario]?.isolateUsPerResponse, f.cpu?.[base]?.isolateUsPerResponse);
  const values = a.map((value, round) => compare(value, b[round])).filter((v) => v !== null);
  return median(values);
}

export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function cpuRatio(f, scenario, base) {
  return perRound(f, scenario, base, ratio);
}

function cpuDifference(f, scenario, base) {
  return perRound(f, scenario, base, difference);
}

/** A difference target met at or below `bound` (`unit`), shown signed with `digits` decimals. */
function addsAtMost(bound, unit, digits) {
  return { target: `≤ +${bound} ${unit}`, pass: (v) => v <= bound, format: (v) => `${v >= 0 ? "+" : ""}${v.toFixed(digits)} ${unit}` };
}

/** A ratio target met at or above `bound`. */
function atLeast(bound) {
  return { target: `≥ ${bound.toFixed(2)}`, pass: (v) => v >= bound, format: (v) => v.toFixed(2) };
}

/** A ratio target met at or below `bound`, shown with `digits` decimals. */
function atMost(bound, digits = 2) {
  return { target: `≤ ${bound.toFixed(2)}`, pass: (v) => v <= bound, format: (v) => v.toFixed(digits) };
}

function p99Ratio(f, scenario, base) {
  return ratio(f.scenarios[scenario]?.latencyMs?.p99, f.scenarios[base]?.latencyMs?.p99);
}

export function ratio(a, b) {
  return typeof a === "number" && typeof b === "number" && b > 0 ? a / b : null;
}

export function difference(a, b) {
  return typeof a === "number" && typeof b === "number" ? a - b : null;
}

/** [{ id, label, target, value, pass: true|false|null, text }] for each target. */
export function evaluateTargets(figures, targets = TARGETS) {
  return targets.map((t) => {
    const value = t.value(figures);
    const pass = value === null || !t.pass ? null : t.pass(value);
    const verdict = pass === null ? "" : pass ? " PASS" : " FAIL";
    return { id: t.id, label: t.label, target: t.target, value, pass, text: `${t.label} ${value === null ? "n/a" : t.format(value)}${verdict}` };
  });
}

export function evaluateInfo(figures, info = INFO) {
  return info.map((i) => {
    const value = i.value(figures);
    return { id: i.id, label: i.label, value, text: `${i.label} ${value === null ? "n/a" : i.format(value)}` };
  });
}

const fixed = (v, digits) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-");

/** An isolate CPU figure: the median of its rounds, with their spread beside it (`612 µs (566–651)`). */
export function formatCpu(c) {
  const rounds = (c?.isolateUsPerResponseByRound ?? []).filter((v) => typeof v === "number");
  if (rounds.length === 0) return `${fixed(c?.isolateUsPerResponse, 0)} µs`;
  return `${fixed(median(rounds), 0)} µs (${fixed(Math.min(...rounds), 0)}–${fixed(Math.max(...rounds), 0)})`;
}

/** A plain-text table: one row per scenario that ran, then the isolate CPU figures. */
export function formatTable(figures) {
  const rows = [["scenario", "rps", "p50 ms", "p99 ms", "workerd CPU µs/req", "notes"]];
  for (const [, s] of Object.entries(figures.scenarios)) {
    rows.push([s.label, fixed(s.rps, 0), fixed(s.latencyMs?.p50, 2), fixed(s.latencyMs?.p99, 2), fixed(s.workerCpuUsPerRequest, 0), s.notes ?? ""]);
  }
  for (const [, c] of Object.entries(figures.cpu ?? {})) {
    rows.push([`isolate CPU: ${c.label}`, fixed(c.rps, 0), "-", "-", "-", `${formatCpu(c)} per response in the worker's isolate (V8 profiler, ${c.ok} responses)${c.notes ? `; ${c.notes}` : ""}`]);
  }
  const t = figures.ttfb;
  if (t) {
    for (const [name, r] of Object.entries(t)) {
      if (!r?.firstByteMs) continue;
      rows.push([`ttfb slow stream: ${name}`, "-", fixed(r.firstByteMs.p50, 2), fixed(r.firstByteMs.p99, 2), "-", `first byte; ${r.samples} samples, whole stream p50 ${fixed(r.totalMs?.p50, 1)} ms`]);
    }
  }
  const h = figures.heap;
  if (h?.after1k && h?.after10k) {
    const mb = (b) => (b / 1048576).toFixed(2);
    for (const point of [h.after1k, h.after10k]) {
      const lost = point.lost > 0 ? `; ${point.lost} STORES LOST` : "";
      rows.push([`heap after ${point.requests ?? "?"} stored requests`, "-", "-", "-", "-", `${mb(point.usedBytes)} MiB V8 heap used after a full GC (${point.stored ?? "?"} rows${lost})`]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((cell, i) => (i === 0 || i === r.length - 1 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

/** The closing line: every target's ratio with PASS/FAIL, `; `-separated. */
export function formatRatioLine(evaluated) {
  return evaluated.map((e) => e.text).join("; ");
}
