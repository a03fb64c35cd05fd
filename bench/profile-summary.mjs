// Turns a V8 CPU profile of one isolate into CPU time: in total, per function and per source file.
//
// Each sample counts as one sampling period, not as the time to the next sample. V8 records a
// sample only while its isolate is in use; while workerd's thread runs another isolate (Miniflare's
// entry worker, the D1, queue and Durable Object simulators) or waits, no sample is taken, and the
// time to the next sample spans that work. Counting those gaps charged the simulators' CPU to the
// gateway (all isolates of one run, summed that way, came to 3.8 × the thread's real CPU). The
// period is the median interval between samples: on a busy machine the sampler runs late, so the
// configured interval is too short.

/** The median of the positive intervals between samples, in µs: the sampler's real period. */
export function samplingPeriodUs(profile) {
  const deltas = (profile.timeDeltas ?? []).slice(1).filter((d) => d > 0).sort((a, b) => a - b);
  return deltas.length > 0 ? deltas[Math.floor(deltas.length / 2)] : 0;
}

/**
 * Summarises a V8 CPU profile (Profiler.stop's `profile`). `busyMs` is the isolate's CPU: samples
 * in JavaScript, in native calls made from it, in GC, and "(program)" (workerd's own code while
 * the isolate is entered), each one sampling period; "(idle)" is left out. `mapPosition(url, line,
 * column)` may map a bundle position back to its original source: { source, line, name } or null.
 */
export function summarizeProfile(profile, mapPosition = () => null) {
  const periodUs = samplingPeriodUs(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const samplesOf = new Map();
  for (const id of profile.samples) samplesOf.set(id, (samplesOf.get(id) ?? 0) + 1);
  let idle = 0;
  let program = 0;
  let busy = 0;
  const functions = new Map();
  const files = new Map();
  for (const [id, count] of samplesOf) {
    const frame = byId.get(id)?.callFrame ?? {};
    const name = frame.functionName || "(anonymous)";
    if (name === "(idle)") {
      idle += count;
      continue;
    }
    busy += count;
    if (name === "(program)") program += count;
    const mapped = frame.url && frame.lineNumber >= 0 ? mapPosition(frame.url, frame.lineNumber, frame.columnNumber) : null;
    const file = mapped?.source ?? (frame.url ? frame.url : name);
    const label = `${mapped?.name || name} ${mapped ? `${mapped.source}:${mapped.line + 1}` : frame.url ? `${frame.url}:${frame.lineNumber + 1}` : ""}`.trim();
    functions.set(label, (functions.get(label) ?? 0) + count);
    files.set(file, (files.get(file) ?? 0) + count);
  }
  const ms = (samples) => (samples * periodUs) / 1000;
  const top = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => ({ name, ms: ms(count), shareOfBusy: busy > 0 ? count / busy : 0 }));
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    periodUs,
    samples: profile.samples.length,
    idleMs: ms(idle),
    busyMs: ms(busy),
    programMs: ms(program),
    functions: top(functions),
    files: top(files),
  };
}
