// The benchmark's targets and its printed report. Pure functions of the figures, so a test can
// check them without running anything.

/**
 * The performance targets, as ratios from one run so that machine noise cancels.
 * `value(figures)` returns the measured ratio or difference (null when a figure is missing).
 */
export const TARGETS = [
  { id: "gateway_floor_rps", label: "gateway/floor rps", value: (f) => ratio(f.scenarios.gateway?.rps, f.scenarios.floor?.rps), ...atLeast(0.8) },
  { id: "store_gateway_rps", label: "store/gateway rps", value: (f) => ratio(f.scenarios.gateway_store?.rps, f.scenarios.gateway?.rps), ...atLeast(0.9) },
  {
    id: "stream_store_stream_rps",
    label: "stream+store/stream rps",
    value: (f) => ratio(f.scenarios.gateway_stream_store?.rps, f.scenarios.gateway_stream?.rps),
    ...atLeast(0.9),
  },
  {
    id: "ttfb_p50_gateway_minus_direct_ms",
    label: "ttfb p50 gateway-direct",
    target: "≤ +5 ms",
    value: (f) => difference(f.ttfb?.gateway?.firstByteMs?.p50, f.ttfb?.direct?.firstByteMs?.p50),
    pass: (v) => v <= 5,
    format: (v) => `${v >= 0 ? "+" : ""}${v.toFixed(1)} ms`,
  },
  { id: "list_get_p99", label: "list p99/get p99", value: (f) => p99Ratio(f, "list", "get"), ...atMost(2) },
  { id: "list_metadata_get_p99", label: "list+meta p99/get p99", value: (f) => p99Ratio(f, "list_metadata", "get"), ...atMost(2) },
  { id: "heap_10k_1k", label: "heap 10k/1k", value: (f) => ratio(f.heap?.after10k?.usedBytes, f.heap?.after1k?.usedBytes), ...atMost(1.1, 3) },
];

/** Figures shown next to the targets, without a target of their own. */
export const INFO = [
  {
    id: "list_small_get_p99",
    label: "list(small team) p99/get p99",
    value: (f) => p99Ratio(f, "list_small_team", "get"),
    format: (v) => v.toFixed(2),
  },
  {
    id: "gateway_floor_cpu",
    label: "gateway/floor workerd CPU per request",
    value: (f) => ratio(f.scenarios.gateway?.workerCpuUsPerRequest, f.scenarios.floor?.workerCpuUsPerRequest),
    format: (v) => v.toFixed(2),
  },
];

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
    const pass = value === null ? null : t.pass(value);
    const verdict = pass === null ? "N/A" : pass ? "PASS" : "FAIL";
    return { id: t.id, label: t.label, target: t.target, value, pass, text: `${t.label} ${value === null ? "n/a" : t.format(value)} ${verdict}` };
  });
}

export function evaluateInfo(figures, info = INFO) {
  return info.map((i) => {
    const value = i.value(figures);
    return { id: i.id, label: i.label, value, text: `${i.label} ${value === null ? "n/a" : i.format(value)}` };
  });
}

const fixed = (v, digits) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-");

/** A plain-text table: one row per scenario that ran. */
export function formatTable(figures) {
  const rows = [["scenario", "rps", "p50 ms", "p99 ms", "workerd CPU µs/req", "notes"]];
  for (const [, s] of Object.entries(figures.scenarios)) {
    rows.push([s.label, fixed(s.rps, 0), fixed(s.latencyMs?.p50, 2), fixed(s.latencyMs?.p99, 2), fixed(s.workerCpuUsPerRequest, 0), s.notes ?? ""]);
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
