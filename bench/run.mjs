#!/usr/bin/env node
// `npm run bench`: measures the gateway against the fastest possible floor in the same run.
//
//  1. Builds the worker as it deploys (`wrangler deploy --dry-run --outdir <tmp>`), and runs that
//     bundle under Miniflare (workerd) on 127.0.0.1 with a local D1 that has the migrations applied.
//  2. Runs the floor (bench/floor-worker.js: read the body, fetch the upstream, return its body) the
//     same way, and the fake upstream (bench/fake-upstream.mjs) in this process.
//  3. Loads each scenario from a second process (autocannon, bench/load.mjs) at fixed concurrency,
//     after a warm-up, for rps; then runs the CPU scenarios again on instances with the V8
//     profiler attached to the worker's own isolate (bench/profile.mjs), for isolate CPU per
//     response; samples time to first byte of a slow stream; seeds 100,000 completions and reads
//     them back, through the API and through the console (a list page, a 30-day usage chart);
//     reads the usage API over a month of 1,000,000 counted requests; reads the
//     worker's V8 heap after 1,000 and 10,000 stored requests.
//     Usage counting is off for every gateway figure but the usage ones: its queue's simulator
//     would run on the worker's thread.
//  4. Prints a table and a closing line of ratios with PASS/FAIL, and writes every figure to
//     bench/results/latest.json. Exits 0 even when a target fails: it is a measurement, not a test.
//
// Settings (environment):
//   BENCH_SECONDS=4          measured seconds per scenario and round
//   BENCH_WARMUP_SECONDS=2   discarded warm-up seconds before each
//   BENCH_ROUNDS=3           rounds; scenarios run A B C, A B C, … and each one's rounds are pooled
//   BENCH_PIN=1              pin workerd to CPU 0 and the upstream + load generator to the others (0: don't)
//   BENCH_CONNECTIONS=32     concurrent connections
//   BENCH_ROWS=100000        completions seeded for the big team
//   BENCH_TTFB_SAMPLES=50    time-to-first-byte samples per target
//   BENCH_HEAP_REQUESTS=1000,10000   stored requests at the two heap readings
//   BENCH_CPU_SECONDS=4      profiled seconds per CPU scenario and round
//   BENCH_ONLY=proxy,cpu,ttfb,read,usage,heap  run only these groups (default: all)
//   BENCH_SCENARIOS=gateway,gateway_store   run only these scenarios of the groups (default: all)
//   BENCH_OUT=bench/results/latest.json
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { startFakeUpstream } from "./fake-upstream.mjs";
import {
  ROOT,
  FLOOR_WORKER,
  applyMigrations,
  buildWorkerBundle,
  countCompletions,
  createTeamWithKey,
  machineBusyCpuMs,
  measureHeap,
  openInspector,
  pinProcess,
  processCpuMs,
  sampleFirstByte,
  seedCompletions,
  seededCompletionId,
  signInToConsole,
  startWorker,
  waitForCompletions,
  workerdChildren,
} from "./harness.mjs";
import { mergeRuns, runLoad } from "./load.mjs";
import { bundleMapper, isolateProfiler } from "./profile.mjs";
import { LONG_CHUNKS, SHORT_CHUNKS, USAGE_TARGETS, evaluateInfo, evaluateTargets, formatClosingLine, formatRatioLine, formatTable, long, median } from "./report.mjs";

const intEnv = (name, fallback, min = 1) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${raw})`);
  return n;
};

const settings = {
  seconds: intEnv("BENCH_SECONDS", 4),
  cpuSeconds: intEnv("BENCH_CPU_SECONDS", intEnv("BENCH_SECONDS", 4)),
  warmupSeconds: intEnv("BENCH_WARMUP_SECONDS", 2, 0),
  rounds: intEnv("BENCH_ROUNDS", 3),
  pin: process.env.BENCH_PIN !== "0",
  connections: intEnv("BENCH_CONNECTIONS", 32),
  rows: intEnv("BENCH_ROWS", 100_000),
  ttfbSamples: intEnv("BENCH_TTFB_SAMPLES", 50),
  heapRequests: (process.env.BENCH_HEAP_REQUESTS ?? "1000,10000").split(",").map(Number),
  only: new Set((process.env.BENCH_ONLY ?? "proxy,cpu,ttfb,read,usage,heap").split(",").map((s) => s.trim()).filter(Boolean)),
  scenarios: process.env.BENCH_SCENARIOS ? new Set(process.env.BENCH_SCENARIOS.split(",").map((s) => s.trim())) : null,
  out: process.env.BENCH_OUT ?? join(ROOT, "bench", "results", "latest.json"),
};
if (settings.heapRequests.length !== 2 || !settings.heapRequests.every((n) => Number.isInteger(n) && n > 0) || settings.heapRequests[0] >= settings.heapRequests[1]) {
  throw new Error("BENCH_HEAP_REQUESTS must be two increasing counts, e.g. 1000,10000");
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const ADMIN_TOKEN = `adm-${randomBytes(18).toString("base64url")}`;
const ID_SECRET = randomBytes(32).toString("base64url");
const MESSAGES = [
  { role: "system", content: "You are a helpful assistant for an online shop. Answer briefly." },
  { role: "user", content: "Where is my order #1234? It was supposed to arrive yesterday." },
];
const chatBody = (extra = {}) => JSON.stringify({ model: "gpt-4o-mini", messages: MESSAGES, ...extra });
const responsesBody = (extra = {}) => JSON.stringify({ model: "gpt-4o-mini", input: MESSAGES, ...extra });
// Shapes the fake upstream's answer through the gateway, which forwards unknown body fields.
const SLOW_STREAM = { first_delay_ms: 200, chunk_delay_ms: 20, chunks: 8 };

// Everything that must be closed, newest first.
const cleanups = [];
let cleaningUp = null;
function cleanup() {
  cleaningUp ??= (async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop();
      await Promise.race([fn().catch((err) => log(`cleanup: ${err.message}`)), new Promise((r) => setTimeout(r, 15_000))]);
    }
  })();
  return cleaningUp;
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

// The workers' structured log lines, counted by worker, level, event and outcome; the first line
// of each kind is kept. Streams cut off when a load run stops are expected ("cancelled").
const workerLogs = new Map();
function recordWorkerLog(worker, event, line) {
  const kind = [worker, event.level ?? "?", event.event, event.outcome ?? event.reason ?? ""].filter(Boolean).join(" ");
  const entry = workerLogs.get(kind) ?? { worker, level: event.level, event: event.event, outcome: event.outcome, count: 0, first: line.slice(0, 600) };
  entry.count++;
  workerLogs.set(kind, entry);
  if (event.level === "error" && entry.count <= 3) log(`worker error: [${worker}] ${line.slice(0, 400)}`);
}

/**
 * One measured round of a scenario: a warm-up (discarded), then the measured run, with the
 * worker process's CPU time around the measured run only. With `amount`, the measured run sends
 * exactly that many requests instead of running for BENCH_SECONDS.
 */
async function measureRound(scenario, amount) {
  const job = { connections: settings.connections, timeoutSeconds: 30, keepLatencies: true, ...scenario.job() };
  let warmup = null;
  if (settings.warmupSeconds > 0) warmup = await runLoad({ ...job, keepLatencies: false, seconds: settings.warmupSeconds });
  if (scenario.store) await scenario.store.beforeMeasure(warmup);
  const worker = scenario.worker?.();
  const ours = () => workerdChildren().reduce((a, pid) => a + (processCpuMs(pid) ?? 0), 0);
  const cpuBefore = { worker: worker?.pid ? processCpuMs(worker.pid) : null, self: process.cpuUsage(), ours: ours(), machine: machineBusyCpuMs() };
  const wallStart = performance.now();
  const run = await runLoad(amount ? { ...job, amount } : { ...job, seconds: settings.seconds });
  const wallMs = performance.now() - wallStart;
  const self = process.cpuUsage(cpuBefore.self);
  run.workerCpuMs = worker?.pid && cpuBefore.worker !== null ? processCpuMs(worker.pid) - cpuBefore.worker : null;
  run.upstreamProcessCpuMs = (self.user + self.system) / 1000;
  // CPU that processes other than this bench's used meanwhile, as a share of the machine.
  const machine = machineBusyCpuMs();
  if (machine !== null && cpuBefore.machine !== null) {
    const foreign = machine - cpuBefore.machine - (ours() - cpuBefore.ours) - run.upstreamProcessCpuMs - run.loaderCpuMs;
    run.foreignCpuShare = Math.max(0, foreign / (wallMs * cpus().length));
  }
  if (scenario.store) Object.assign(run, await scenario.store.afterMeasure(run));
  log(`  ${scenario.label}: ${run.rps.toFixed(0)} rps, p50 ${run.latencyMs.p50?.toFixed(2)} ms, p99 ${run.latencyMs.p99?.toFixed(2)} ms`);
  return run;
}

/**
 * Runs the scenarios in rounds (A B C, A B C, ...), so that a slow spell of the machine falls on
 * every scenario alike, and pools each scenario's rounds. A scenario with `samplesOf: "<key>"`
 * sends, in each round, as many requests as that earlier scenario answered in the same round, so
 * that their p99s are read from as many samples.
 */
async function measureScenarios(allScenarios) {
  const scenarios = allScenarios.filter((s) => !settings.scenarios || settings.scenarios.has(s.key));
  const runs = new Map(scenarios.map((s) => [s.key, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    log(`round ${round}/${settings.rounds}: ${scenarios.length} scenarios, each ${settings.warmupSeconds} s warm-up + ${settings.seconds} s at ${settings.connections} connections`);
    for (const scenario of scenarios) {
      const like = scenario.samplesOf ? runs.get(scenario.samplesOf)?.[round - 1] : undefined;
      runs.get(scenario.key).push(await measureRound(scenario, like?.ok || undefined));
    }
  }
  const out = {};
  for (const scenario of scenarios) {
    const rounds = runs.get(scenario.key);
    const merged = mergeRuns(rounds);
    const sum = (key) => (rounds.every((r) => typeof r[key] === "number") ? rounds.reduce((a, r) => a + r[key], 0) : null);
    const workerCpuMs = sum("workerCpuMs");
    const notes = [];
    if (merged.non2xx > 0) notes.push(`${merged.non2xx} non-2xx ${JSON.stringify(merged.statusCounts)}`);
    if (merged.errors > 0) notes.push(`${merged.errors} errors`);
    if (scenario.store) {
      const stored = sum("stored");
      // Requests still in flight when the load stops are answered and stored too, but not counted as responses.
      notes.push(`stored ${stored} for ${merged.ok} responses${stored < merged.ok ? " (ROWS MISSING)" : ""}, drained ≤ ${Math.max(...rounds.map((r) => r.storeDrainMs)) / 1000} s after the load`);
      merged.stored = stored;
    }
    if (scenario.note) notes.push(scenario.note);
    const foreign = Math.max(...rounds.map((r) => r.foreignCpuShare ?? 0));
    if (foreign > 0.05) notes.push(`other processes used up to ${(foreign * 100).toFixed(0)} % of the machine`);
    out[scenario.key] = {
      label: scenario.label,
      ...merged,
      workerCpuMs,
      workerCpuUsPerRequest: workerCpuMs !== null && merged.ok > 0 ? (workerCpuMs * 1000) / merged.ok : null,
      upstreamProcessCpuUsPerRequest: merged.ok > 0 ? (sum("upstreamProcessCpuMs") * 1000) / merged.ok : null,
      loaderCpuUsPerRequest: merged.ok > 0 ? (merged.loaderCpuMs * 1000) / merged.ok : null,
      foreignCpuShareMax: foreign,
      notes: notes.join("; ") || undefined,
    };
    const f = out[scenario.key];
    log(`${f.label}: ${f.rps.toFixed(0)} rps (rounds ${f.rpsByRound.map((r) => r.toFixed(0)).join(", ")}), p50 ${f.latencyMs.p50?.toFixed(2)} ms, p99 ${f.latencyMs.p99?.toFixed(2)} ms${f.notes ? ` — ${f.notes}` : ""}`);
  }
  return out;
}

/** For store scenarios: measure from an empty write backlog, and count what was stored. */
function storeAccounting(getD1, teamId) {
  let countBefore = 0;
  return {
    async beforeMeasure() {
      // The warm-up's writes finish first (the count stops moving for 1 s).
      countBefore = await waitForCompletions(getD1(), teamId, Infinity, { limitMs: 60_000, stallMs: 1_000 });
    },
    async afterMeasure(run) {
      const started = Date.now();
      const count = await waitForCompletions(getD1(), teamId, countBefore + run.ok, { limitMs: 120_000, stallMs: 10_000 });
      return { stored: count - countBefore, storeDrainMs: Date.now() - started };
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Background work (waitUntil, queue batches of up to 1 s) finishes inside the profiled window.
const SETTLE_MS = 1_500;

/**
 * The CPU scenarios, on instances with the V8 profiler attached to the worker's own isolate:
 * rounds as in measureScenarios; each scenario's busy time and responses are summed over rounds.
 */
async function measureCpuScenarios(allScenarios) {
  const scenarios = allScenarios.filter((s) => !settings.scenarios || settings.scenarios.has(s.key));
  const totals = new Map(scenarios.map((s) => [s.key, { busyMs: 0, ok: 0, seconds: 0, non2xx: 0, stored: 0, foreign: 0, functions: new Map(), byRound: [] }]));
  for (let round = 1; round <= settings.rounds; round++) {
    log(`CPU round ${round}/${settings.rounds}: ${scenarios.length} scenarios under the profiler, each ${settings.warmupSeconds} s warm-up + ${settings.cpuSeconds} s`);
    for (const scenario of scenarios) {
      const job = { connections: settings.connections, timeoutSeconds: 30, ...scenario.job() };
      const warmup = settings.warmupSeconds > 0 ? await runLoad({ ...job, seconds: settings.warmupSeconds }) : null;
      if (scenario.store) await scenario.store.beforeMeasure(warmup);
      const machineBefore = machineBusyCpuMs();
      const wallStart = performance.now();
      const profiler = await scenario.profiler();
      const processBefore = scenario.profiledPid ? processCpuMs(scenario.profiledPid) : null;
      const { result: run, summary } = await profiler.measure(async () => {
        const load = await runLoad({ ...job, seconds: settings.cpuSeconds });
        const stored = scenario.store ? await scenario.store.afterMeasure(load) : null;
        await sleep(SETTLE_MS);
        return { ...load, ...stored };
      });
      const processMs = processBefore !== null ? processCpuMs(scenario.profiledPid) - processBefore : null;
      const t = totals.get(scenario.key);
      // One isolate cannot use more CPU than its whole process: if it seems to, the sampling period was misread.
      if (processMs !== null && summary.busyMs > processMs) t.periodSuspect = true;
      t.busyMs += summary.busyMs;
      t.ok += run.ok;
      t.seconds += run.seconds;
      t.non2xx += run.non2xx ?? 0;
      t.stored += run.stored ?? 0;
      t.byRound.push(run.ok > 0 ? (summary.busyMs * 1000) / run.ok : null);
      for (const f of summary.functions) t.functions.set(f.name, (t.functions.get(f.name) ?? 0) + f.ms);
      const machine = machineBusyCpuMs();
      if (machine !== null && machineBefore !== null) t.foreign = Math.max(t.foreign, (machine - machineBefore) / ((performance.now() - wallStart) * cpus().length));
      log(`  ${scenario.label}: ${((summary.busyMs * 1000) / Math.max(1, run.ok)).toFixed(0)} µs per response in the isolate (${run.ok} responses, ${run.rps.toFixed(0)} rps with the profiler on)`);
    }
  }
  const out = {};
  for (const scenario of scenarios) {
    const t = totals.get(scenario.key);
    const notes = [];
    if (t.non2xx > 0) notes.push(`${t.non2xx} non-2xx`);
    if (scenario.store) notes.push(`stored ${t.stored} for ${t.ok} responses${t.stored < t.ok ? " (ROWS MISSING)" : ""}`);
    if (t.foreign > 0.6) notes.push(`the machine was ${(t.foreign * 100).toFixed(0)} % busy`);
    if (t.periodSuspect) notes.push("ISOLATE CPU ABOVE ITS PROCESS'S: sampling period misread");
    out[scenario.key] = {
      label: scenario.label,
      ok: t.ok,
      rps: t.seconds > 0 ? t.ok / t.seconds : null,
      busyMs: t.busyMs,
      isolateUsPerResponse: t.ok > 0 ? (t.busyMs * 1000) / t.ok : null,
      // Per round, for the targets: a ratio or difference is taken within each round, then the median.
      isolateUsPerResponseByRound: t.byRound,
      notes: notes.join("; ") || undefined,
      // Where the time goes (self time, mapped to src/ through the bundle's source map), to explain a figure.
      topFunctions: [...t.functions.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([name, ms]) => ({ name, usPerResponse: t.ok > 0 ? (ms * 1000) / t.ok : null })),
    };
    log(`${scenario.label}: ${out[scenario.key].isolateUsPerResponse?.toFixed(0)} µs isolate CPU per response${out[scenario.key].notes ? ` — ${out[scenario.key].notes}` : ""}`);
  }
  return out;
}

/**
 * A month of usage for a team, as the queue consumer leaves its rollups: 1,000,000 requests over
 * the 30 UTC days before `endDay`, by 5 keys (the team's own and 4 others) and 2 models. False when
 * bench/seed-usage.mjs (which comes with the usage API) is missing.
 */
async function seedMonthOfUsage(d1, team, endDay) {
  const seeder = await import("./seed-usage.mjs").catch(() => null);
  if (!seeder) return false;
  const keyIds = [team.keyId, ...Array.from({ length: 4 }, (_, i) => `key_bench_${i}`)];
  await seeder.seedUsageRollups(d1, { teamId: team.teamId, keyIds, models: ["gpt-4o-mini", "gpt-4o"], endDay, days: 30, requests: 1_000_000 });
  return true;
}

/**
 * One call of each console read before it is measured: both answer 200, every list page is full,
 * and the chart holds the seeded month (30 day buckets, each with requests), so that the figures
 * are of real pages and real rollups.
 */
async function checkConsoleReads(gw, cookie, listPaths, chartPath) {
  const warnings = [];
  const get = async (path) => {
    const res = await fetch(gw(path), { headers: { cookie } });
    const body = await res.json().catch(() => null);
    if (res.status !== 200) warnings.push(`console GET ${path} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    return res.status === 200 ? body : null;
  };
  const pages = await Promise.all([...new Set(listPaths)].slice(0, 20).map(get));
  const short = pages.filter((page) => page && page.data.length !== 20).length;
  if (short > 0) warnings.push(`${short} of ${pages.length} console list pages are not full`);
  const chart = await get(chartPath);
  const perBucket = chart ? chart.buckets.map((_, i) => chart.series.reduce((n, s) => n + s.requests[i], 0)) : [];
  const requests = perBucket.reduce((a, b) => a + b, 0);
  const emptyBuckets = perBucket.filter((n) => n === 0).length;
  if (chart && (perBucket.length !== 30 || emptyBuckets > 0)) warnings.push(`the console's usage chart has ${perBucket.length} buckets, ${emptyBuckets} of them empty: it does not read the seeded month`);
  return { listPagesChecked: pages.length, chartBuckets: perBucket.length, chartSeries: chart?.series.length ?? 0, chartRequests: requests, warnings };
}

/**
 * Lists the team's completions once, which asks for its packing, and waits for the queue's job to
 * finish: the pack count stops moving for 3 s. Returns the packs, the rows they hold, and the time.
 */
async function packSeeded(gw, team, d1) {
  const started = Date.now();
  const res = await fetch(gw("/v1/chat/completions?limit=100"), { headers: { authorization: `Bearer ${team.key}` } });
  if (res.status !== 200) throw new Error(`the list that asks for packing answered ${res.status}`);
  await res.arrayBuffer();
  // A read that fails while the worker is busy packing is read again.
  const count = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await d1.prepare("SELECT count(*) AS packs, coalesce(sum(n), 0) AS rows FROM completion_packs WHERE tid = (SELECT store_id FROM team_store WHERE team_id = ?)").bind(team.teamId).first()) ?? { packs: 0, rows: 0 };
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  };
  let last = await count();
  let still = Date.now();
  while (Date.now() - still < 3_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await count();
    if (now.packs !== last.packs) [last, still] = [now, Date.now()];
  }
  return { packs: Number(last.packs), rows: Number(last.rows), seconds: (still - started) / 1000 };
}

/** Whether the gateway has the usage API: without it, the usage figures are n/a. */
async function hasUsageApi(baseUrl, key) {
  const res = await fetch(new URL(`/v1/organization/usage/completions?start_time=${Math.floor(Date.now() / 1000) - 86_400}`, baseUrl), { headers: { authorization: `Bearer ${key}` } });
  await res.arrayBuffer();
  return res.status !== 404;
}

/** Whether POST /v1/responses answers (a store:false request): without it, the Responses figures are n/a. */
async function hasResponsesApi(baseUrl, key) {
  const res = await fetch(new URL("/v1/responses", baseUrl), {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: responsesBody({ store: false }),
  });
  await res.arrayBuffer();
  return res.ok;
}

/** Sets high rate limits on a key (PATCH /admin/keys); false when the gateway has no such route. */
async function limitKey(baseUrl, keyId) {
  const res = await fetch(new URL(`/admin/keys/${keyId}`, baseUrl), {
    method: "PATCH",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    // High enough never to trip: the figure is what checking them costs.
    body: JSON.stringify({ rpm_limit: 100_000_000, tpm_limit: 1_000_000_000 }),
  });
  await res.arrayBuffer();
  return res.ok;
}

async function main() {
  const startedAt = new Date();
  const work = mkdtempSync(join(tmpdir(), "llm-gateway-bench-"));
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));

  log("building the worker: wrangler deploy --dry-run");
  const bundle = await buildWorkerBundle(join(work, "dist"));

  const upstreamServer = await startFakeUpstream({ port: 0 });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        upstreamServer.closeAllConnections?.();
        upstreamServer.close(() => resolve());
      }),
  );
  const upstreamBase = `http://127.0.0.1:${upstreamServer.address().port}/v1`;
  const direct = `${upstreamBase}/chat/completions`;

  // With 2+ CPUs, workerd (the measured side) gets CPU 0 to itself; this process (the fake
  // upstream) and the load generator (forked from it, so it inherits the pinning) get the others.
  const others = cpus().length === 2 ? "1" : `1-${cpus().length - 1}`;
  const pinned = settings.pin && cpus().length >= 2 && pinProcess(process.pid, others);
  if (settings.pin && !pinned) log("not pinning processes to CPUs (needs Linux, taskset and 2+ CPUs)");
  const running = [];
  const started = async (options) => {
    const w = await startWorker({ onLog: recordWorkerLog, ...options });
    cleanups.push(() => w.dispose());
    if (pinned && w.pid) pinProcess(w.pid, "0");
    running.push(w);
    return w;
  };
  /** While the profiler runs, the other instances' background work (timers, queue batches) must not share CPU 0. */
  const aside = (keep) => {
    if (!pinned) return () => {};
    const moved = running.filter((w) => w.pid && !keep.includes(w));
    for (const w of moved) pinProcess(w.pid, others);
    return () => moved.forEach((w) => pinProcess(w.pid, "0"));
  };

  const figures = {
    startedAt: startedAt.toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryMiB: Math.round(totalmem() / 1048576), node: process.version, platform: process.platform },
    settings: { ...settings, only: [...settings.only], out: relative(ROOT, settings.out) },
    method: {
      build: "wrangler deploy --dry-run --outdir <tmp>; index.js run under Miniflare (workerd), logRequests off, on 127.0.0.1",
      load: "autocannon in a child process; latencies from its per-response hrtime, 2xx only",
      workerCpu: "user+system CPU of the worker's workerd process (/proc/<pid>/stat) during the measured run, per 2xx response",
      heap: "V8 inspector on the worker's isolate: HeapProfiler.takeHeapSnapshot (forces a full GC), then Runtime.getHeapUsage usedSize; min of 3",
      pinning: "workerd alone on CPU 0, so that each worker's rps is what one core gives it; the fake upstream and autocannon share the other CPUs (this caps 'direct upstream', which is shown for reference only)",
      foreignCpu: "per scenario, the largest share of the machine's CPU used by processes other than this bench during a measured run",
    },
    pinnedToCpus: pinned ? { workerd: "0", upstreamAndLoader: cpus().length === 2 ? "1" : `1-${cpus().length - 1}` } : null,
    scenarios: {},
  };
  const S = figures.scenarios;

  const needGateway = ["proxy", "ttfb", "read", "usage"].some((g) => settings.only.has(g));
  // Every gateway figure but the usage ones is taken with usage counting off.
  const gatewayBindings = (counting) => ({ UPSTREAM_BASE_URL: upstreamBase, ADMIN_TOKEN, ID_SECRET, USAGE_COUNTING: counting });
  let usageFeature = false;
  let gateway = null;
  let floor = null;
  let d1 = null;
  let proxyTeam = null;
  if (needGateway) {
    gateway = await started({ name: "gateway", scriptPath: bundle, bindings: gatewayBindings("off"), d1Persist: join(work, "d1-gateway"), wranglerBindings: true });
    d1 = await gateway.mf.getD1Database("DB");
    await applyMigrations(d1);
    await applyMigrations(await gateway.mf.getD1Database("DB_SHARD_1"));
    proxyTeam = await createTeamWithKey(gateway.url, ADMIN_TOKEN, "bench-proxy");
    usageFeature = await hasUsageApi(gateway.url, proxyTeam.key);
    if (!usageFeature) log("the gateway has no usage API yet: the usage figures are n/a");
    floor = await started({ name: "floor", scriptPath: FLOOR_WORKER, bindings: { UPSTREAM_BASE_URL: upstreamBase } });
    log(`gateway ${gateway.url.origin} (workerd pid ${gateway.pid}), floor ${floor.url.origin} (pid ${floor.pid}), upstream ${upstreamBase}`);
  }
  const gw = (path) => new URL(path, gateway.url).href;
  const fl = (path) => new URL(path, floor.url).href;
  const json = { "content-type": "application/json" };
  const auth = (key = proxyTeam.key) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
  const onGateway = () => gateway;
  const onFloor = () => floor;

  if (settings.only.has("proxy")) {
    const post = (url, headers, extra) => () => ({ url, method: "POST", headers, body: chatBody(extra) });
    // Issue 12's figures: the gateway with usage counting on (an instance of its own), and with a
    // key whose rate limits are checked on every request but never trip.
    const usageScenarios = [];
    if (usageFeature) {
      const counting = await started({ name: "gateway-usage", scriptPath: bundle, bindings: gatewayBindings("on"), d1Persist: join(work, "d1-usage"), wranglerBindings: true });
      await applyMigrations(await counting.mf.getD1Database("DB"));
      await applyMigrations(await counting.mf.getD1Database("DB_SHARD_1"));
      const countingTeam = await createTeamWithKey(counting.url, ADMIN_TOKEN, "bench-usage");
      usageScenarios.push({ key: "gateway_usage", label: "gateway, usage counting on", job: post(new URL("/v1/chat/completions", counting.url).href, auth(countingTeam.key)), worker: () => counting });
      const limited = await createTeamWithKey(gateway.url, ADMIN_TOKEN, "bench-limited");
      if (await limitKey(gateway.url, limited.keyId)) {
        usageScenarios.push({ key: "gateway_limited", label: "gateway, rate-limited key", job: post(gw("/v1/chat/completions"), auth(limited.key)), worker: onGateway });
      } else log("the admin API cannot set a key's limits yet: the limited-key figure is n/a");
    }
    Object.assign(
      S,
      await measureScenarios([
        { key: "direct", label: "direct upstream", job: post(direct, json) },
        { key: "floor", label: "floor", job: post(fl("/v1/chat/completions"), json), worker: onFloor },
        { key: "gateway", label: "gateway", job: post(gw("/v1/chat/completions"), auth()), worker: onGateway },
        {
          key: "gateway_store",
          label: "gateway store:true",
          job: post(gw("/v1/chat/completions"), auth(), { store: true, metadata: { bench: "store" } }),
          worker: onGateway,
          store: storeAccounting(() => d1, proxyTeam.teamId),
        },
        { key: "direct_stream", label: "direct upstream streamed", job: post(direct, json, { stream: true }) },
        { key: "floor_stream", label: "floor streamed", job: post(fl("/v1/chat/completions"), json, { stream: true }), worker: onFloor },
        { key: "gateway_stream", label: "gateway streamed", job: post(gw("/v1/chat/completions"), auth(), { stream: true }), worker: onGateway },
        {
          key: "gateway_stream_store",
          label: "gateway streamed+store",
          job: post(gw("/v1/chat/completions"), auth(), { stream: true, store: true, metadata: { bench: "stream-store" } }),
          worker: onGateway,
          store: storeAccounting(() => d1, proxyTeam.teamId),
        },
        ...usageScenarios,
      ]),
    );
  }

  if (settings.only.has("cpu")) {
    // Instances of their own, with the inspector open; the profiler samples the worker's isolate only.
    // Usage counting is on for the CPU targets (as in production); one instance has it off, for its cost.
    const mapper = bundleMapper(bundle);
    const floorCpu = await started({ name: "floor-cpu", scriptPath: FLOOR_WORKER, bindings: { UPSTREAM_BASE_URL: upstreamBase }, inspector: true });
    const gatewayCpu = await started({ name: "gateway-cpu", scriptPath: bundle, bindings: gatewayBindings("on"), d1Persist: join(work, "d1-cpu"), inspector: true, wranglerBindings: true });
    const cpuD1 = await gatewayCpu.mf.getD1Database("DB");
    await applyMigrations(cpuD1);
    await applyMigrations(await gatewayCpu.mf.getD1Database("DB_SHARD_1"));
    const cpuTeam = await createTeamWithKey(gatewayCpu.url, ADMIN_TOKEN, "bench-cpu");
    const offCpu = await started({ name: "gateway-off-cpu", scriptPath: bundle, bindings: gatewayBindings("off"), d1Persist: join(work, "d1-off-cpu"), inspector: true, wranglerBindings: true });
    await applyMigrations(await offCpu.mf.getD1Database("DB"));
    await applyMigrations(await offCpu.mf.getD1Database("DB_SHARD_1"));
    const offTeam = await createTeamWithKey(offCpu.url, ADMIN_TOKEN, "bench-off-cpu");
    // The Responses scenarios run once POST /v1/responses answers: translated on this instance (its
    // upstream speaks chat), passed through on one whose upstream speaks the Responses API.
    let responsesCpu = null;
    let responsesTeam = null;
    if (await hasResponsesApi(gatewayCpu.url, cpuTeam.key)) {
      responsesCpu = await started({
        name: "gateway-responses-cpu",
        scriptPath: bundle,
        bindings: { ...gatewayBindings("on"), UPSTREAM_API: "responses" },
        d1Persist: join(work, "d1-responses-cpu"),
        inspector: true,
        wranglerBindings: true,
      });
      await applyMigrations(await responsesCpu.mf.getD1Database("DB"));
      await applyMigrations(await responsesCpu.mf.getD1Database("DB_SHARD_1"));
      responsesTeam = await createTeamWithKey(responsesCpu.url, ADMIN_TOKEN, "bench-responses-cpu");
    } else log("POST /v1/responses does not answer yet: the Responses and translated figures are n/a");
    // One profiler session per instance, opened when its first scenario runs.
    const profilers = new Map();
    const profiled = (worker) => ({
      profiledPid: worker.pid,
      profiler: async () => {
        if (!profilers.has(worker.name)) profilers.set(worker.name, await isolateProfiler(worker, { mapper }));
        return profilers.get(worker.name);
      },
    });
    const on = (worker, key, extra, path = "/v1/chat/completions", body = chatBody) => () => ({ url: new URL(path, worker.url).href, method: "POST", headers: key ? auth(key) : json, body: body(extra) });
    const responses = (worker, key, extra) => on(worker, key, extra, "/v1/responses", responsesBody);
    const stored = () => ({ store: storeAccounting(() => cpuD1, cpuTeam.teamId) });
    // Each streamed scenario runs with 8 chunks and with 200 (its key + "_200"): the difference is the cost per chunk.
    const streamed = (key, label, make, extra = {}) =>
      [SHORT_CHUNKS, LONG_CHUNKS].map((chunks) => ({
        key: chunks === SHORT_CHUNKS ? key : long(key),
        label: `${label}, ${chunks} chunks`,
        ...make({ stream: true, x_fake: { chunks } }),
        ...extra,
      }));
    const cpuScenarios = [
      { key: "floor", label: "floor", job: on(floorCpu), ...profiled(floorCpu) },
      { key: "gateway", label: "gateway", job: on(gatewayCpu, cpuTeam.key), ...profiled(gatewayCpu) },
      { key: "gateway_counting_off", label: "gateway, usage counting off", job: on(offCpu, offTeam.key), ...profiled(offCpu) },
      { key: "gateway_store", label: "gateway store:true", job: on(gatewayCpu, cpuTeam.key, { store: true, metadata: { bench: "store" } }), ...profiled(gatewayCpu), ...stored() },
      ...streamed("floor_stream", "floor streamed", (x) => ({ job: on(floorCpu, null, x), ...profiled(floorCpu) })),
      ...streamed("gateway_stream", "gateway streamed", (x) => ({ job: on(gatewayCpu, cpuTeam.key, x), ...profiled(gatewayCpu) })),
      ...streamed(
        "gateway_stream_store",
        "gateway streamed+store",
        (x) => ({ job: on(gatewayCpu, cpuTeam.key, { ...x, store: true, metadata: { bench: "stream-store" } }), ...profiled(gatewayCpu) }),
        stored(),
      ),
    ];
    if (responsesCpu) {
      cpuScenarios.push(
        ...streamed("responses_unstored_stream", "responses store:false streamed (responses upstream)", (x) => ({ job: responses(responsesCpu, responsesTeam.key, { ...x, store: false }), ...profiled(responsesCpu) })),
        ...streamed("responses_stored_stream", "responses stored streamed (responses upstream)", (x) => ({ job: responses(responsesCpu, responsesTeam.key, x), ...profiled(responsesCpu) })),
        // Translated to chat, the request keeps only chat's fields: the shape goes to the fake upstream as `user`.
        ...streamed("translated_stream", "responses stored streamed, translated (chat upstream)", ({ x_fake, ...x }) => ({
          job: responses(gatewayCpu, cpuTeam.key, { ...x, user: `x_fake:${JSON.stringify(x_fake)}` }),
          ...profiled(gatewayCpu),
        })),
      );
    }
    const restore = aside([floorCpu, gatewayCpu, offCpu, responsesCpu].filter(Boolean));
    try {
      figures.cpu = await measureCpuScenarios(cpuScenarios);
    } finally {
      restore();
    }
    for (const profiler of profilers.values()) profiler.close();
    profilers.clear();
  }

  if (settings.only.has("ttfb")) {
    log(`time to first byte: ${settings.ttfbSamples} samples each, first chunk after ${SLOW_STREAM.first_delay_ms} ms, then one every ${SLOW_STREAM.chunk_delay_ms} ms`);
    const body = chatBody({ stream: true, x_fake: SLOW_STREAM });
    const sample = (url, headers) => sampleFirstByte(url, { method: "POST", headers, body }, { samples: settings.ttfbSamples, concurrency: 5 });
    // Repeated in rounds, interleaved; each target's p50 is the median of its rounds' p50s.
    const targets = { direct: [direct, json], floor: [fl("/v1/chat/completions"), json], gateway: [gw("/v1/chat/completions"), auth()] };
    const byRound = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
    for (let round = 0; round < settings.rounds; round++) {
      for (const [name, [url, headers]] of Object.entries(targets)) byRound[name].push(await sample(url, headers));
    }
    figures.ttfb = Object.fromEntries(
      Object.entries(byRound).map(([name, rounds]) => {
        const p50s = rounds.map((r) => r.firstByteMs.p50);
        const last = rounds[rounds.length - 1];
        return [name, { ...last, samples: rounds.reduce((a, r) => a + r.samples, 0), firstByteMs: { ...last.firstByteMs, p50: median(p50s), min: Math.min(...rounds.map((r) => r.firstByteMs.min)) }, p50ByRound: p50s }];
      }),
    );
    for (const [name, r] of Object.entries(figures.ttfb)) log(`ttfb ${name}: p50 ${r.firstByteMs.p50.toFixed(2)} ms, p99 ${r.firstByteMs.p99.toFixed(2)} ms`);
    if (figures.ttfb.gateway.firstByteMs.min < SLOW_STREAM.first_delay_ms * 0.9) {
      figures.ttfb.warning = "the gateway's first byte came before the upstream's delay: the x_fake body field did not reach the upstream";
      log(`WARNING: ${figures.ttfb.warning}`);
    }
  }

  if (settings.only.has("read")) {
    const rows = settings.rows;
    const smallRows = 50;
    const now = Math.floor(Date.now() / 1000);
    const baseCreated = now - Math.ceil(rows / 10) - 86_400;
    // Both teams are made through the admin API, so that their keys map to the team ids seeded here.
    const big = await createTeamWithKey(gateway.url, ADMIN_TOKEN, "bench-big");
    const small = await createTeamWithKey(gateway.url, ADMIN_TOKEN, "bench-small");
    log(`seeding ${rows} completions for the big team and ${smallRows} for a small one, straight into D1`);
    const seedStarted = Date.now();
    const bodies = await gateway.mf.getR2Bucket("BODIES");
    await seedCompletions(d1, { teamId: big.teamId, to: rows, baseCreated, bodies });
    await seedCompletions(d1, { teamId: small.teamId, to: smallRows, baseCreated, idPrefix: "chatcmpl-small", bodies });
    const bigCount = await countCompletions(d1, big.teamId);
    const goldCount = Number((await d1.prepare("SELECT count(*) AS n FROM completion_filters WHERE tid = (SELECT store_id FROM team_store WHERE team_id = ?) AND k = 'tier' AND v = 'gold'").bind(big.teamId).first())?.n ?? 0);
    figures.seed = { bigTeamRows: bigCount, smallTeamRows: await countCompletions(d1, small.teamId), metadataFilter: "tier=gold", matchingRows: goldCount, seconds: (Date.now() - seedStarted) / 1000 };
    log(`seeded in ${figures.seed.seconds.toFixed(1)} s: the big team holds ${bigCount} completions, ${goldCount} of them with tier=gold`);
    // A list asks for the team's packing, as any list of settled rows does; the queue's job packs
    // the team (src/completion-store/packs.ts) before anything is measured.
    figures.packing = await packSeeded(gw, big, d1);
    log(`packed in ${figures.packing.seconds.toFixed(1)} s: ${figures.packing.packs} packs hold ${figures.packing.rows} of the big team's completions`);

    // Pages from both ends (asc, desc) and after cursors spread over the team's rows; every page is full.
    const pick = (i, n) => Math.floor(((i * 7919) % 1000) * (n / 1000)) % n;
    const listPaths = (extra, n, prefix, limit = 20) =>
      Array.from({ length: 200 }, (_, i) => {
        const variant = i % 4;
        const order = variant % 2 === 1 ? "&order=desc" : "";
        const cursor = variant % 2 === 1 ? n - 1 - pick(i, n - limit) : pick(i, n - limit);
        const after = variant >= 2 ? `&after=${seededCompletionId(cursor, prefix)}` : "";
        return `/v1/chat/completions?limit=${limit}${order}${after}${extra}`;
      });
    const getPaths = Array.from({ length: 1000 }, (_, i) => `/v1/chat/completions/${seededCompletionId(pick(i, rows))}`);
    const read = (key) => (paths) => () => ({ url: gw("/"), method: "GET", headers: { authorization: `Bearer ${key}` }, paths });

    // The console, signed in with the big team's key, as its page calls it: the Completions view's
    // pages (newest first, the first page or the one after a row's cursor, as "Next" asks for it)
    // and the Usage view's 30-day chart (day buckets, stacked by model) over a month of seeded rollups.
    const cookie = await signInToConsole(gateway.url, big.key);
    const consoleRead = (paths) => () => ({ url: gw("/"), method: "GET", headers: { cookie }, paths });
    const consoleListPaths = Array.from({ length: 200 }, (_, i) => {
      const after = i % 2 === 1 ? `after=${seededCompletionId(rows - 1 - pick(i, rows - 20))}&` : "";
      return `/console/api/teams/${encodeURIComponent(big.teamId)}/completions?${after}limit=20`;
    });
    const chartTo = Math.ceil(now / 86_400) * 86_400;
    const chartPath = `/console/api/usage?width=86400&from=${chartTo - 30 * 86_400}&to=${chartTo}&group=model&team=${encodeURIComponent(big.teamId)}`;
    const usageSeeded = await seedMonthOfUsage(d1, big, chartTo);
    figures.consoleReads = await checkConsoleReads(gw, cookie, consoleListPaths, chartPath);
    if (!usageSeeded) log("bench/seed-usage.mjs is missing: the console's usage chart reads no rollups");
    for (const warning of figures.consoleReads.warnings) log(`WARNING: ${warning}`);
    const consoleScenarios = [
      { key: "console_list", label: `console list page (${bigCount} rows)`, job: consoleRead(consoleListPaths), worker: onGateway, samplesOf: "get" },
      { key: "console_usage_chart", label: "console usage chart, 30 days by day (1,000,000 requests)", job: consoleRead([chartPath]), worker: onGateway, samplesOf: "get" },
    ];
    Object.assign(
      S,
      await measureScenarios([
        { key: "get", label: `get (${bigCount} rows)`, job: read(big.key)(getPaths), worker: onGateway },
        { key: "list", label: `list limit 20 (${bigCount} rows)`, job: read(big.key)(listPaths("", rows, "chatcmpl-")), worker: onGateway },
        { key: "list_100", label: `list limit 100 (${bigCount} rows)`, job: read(big.key)(listPaths("", rows, "chatcmpl-", 100)), worker: onGateway },
        ...consoleScenarios,
        {
          key: "list_metadata",
          label: `list limit 20, metadata[tier]=gold (${bigCount} rows)`,
          job: read(big.key)(listPaths("&metadata%5Btier%5D=gold", rows, "chatcmpl-")),
          worker: onGateway,
        },
        {
          key: "list_small_team",
          label: `list limit 20, small team (${smallRows} rows)`,
          job: read(small.key)(listPaths("", smallRows, "chatcmpl-small")),
          worker: onGateway,
        },
      ]),
    );
  }

  if (settings.only.has("usage") && usageFeature) {
    // Issue 12: the usage API over 30 daily buckets of 1,000,000 counted requests, seeded as the
    // consumer leaves its rollups (bench/seed-usage.mjs comes with the usage API).
    const team = await createTeamWithKey(gateway.url, ADMIN_TOKEN, "bench-usage-api");
    const endDay = Math.floor(Date.now() / 1000 / 86_400) * 86_400;
    if (!(await seedMonthOfUsage(d1, team, endDay))) log("bench/seed-usage.mjs is missing: the usage API figure is n/a");
    else {
      const path = `/v1/organization/usage/completions?start_time=${endDay - 30 * 86_400}&end_time=${endDay}&bucket_width=1d&limit=31`;
      Object.assign(
        S,
        await measureScenarios([
          { key: "usage_api", label: "usage API, 30 daily buckets (1,000,000 requests)", job: () => ({ url: gw(path), method: "GET", headers: { authorization: `Bearer ${team.key}` } }), worker: onGateway },
        ]),
      );
    }
  }

  // The heap is read on an instance of its own, with the V8 inspector open (nothing else runs on it).
  if (gateway) await gateway.dispose();
  if (floor) await floor.dispose();
  if (settings.only.has("heap")) {
    const [first, total] = settings.heapRequests;
    const heapWorker = await started({
      name: "gateway-heap",
      scriptPath: bundle,
      bindings: gatewayBindings("off"),
      d1Persist: join(work, "d1-heap"),
      inspector: true,
      wranglerBindings: true,
    });
    const heapD1 = await heapWorker.mf.getD1Database("DB");
    await applyMigrations(heapD1);
    await applyMigrations(await heapWorker.mf.getD1Database("DB_SHARD_1"));
    const heapTeam = await createTeamWithKey(heapWorker.url, ADMIN_TOKEN, "bench-heap");
    const session = await openInspector(heapWorker.inspectorHost, heapWorker.name);
    cleanups.push(async () => session.close());
    // Stored requests alternate non-streamed and streamed.
    const storeJob = (amount) => ({
      url: new URL("/v1/chat/completions", heapWorker.url).href,
      method: "POST",
      headers: { authorization: `Bearer ${heapTeam.key}`, "content-type": "application/json" },
      bodies: [chatBody({ store: true, metadata: { bench: "heap" } }), chatBody({ store: true, stream: true, metadata: { bench: "heap" } })],
      amount,
      connections: settings.connections,
    });
    let sent = 0;
    let answered = 0;
    const storeUpTo = async (target) => {
      log(`heap: sending ${target - sent} stored requests`);
      const result = await runLoad(storeJob(target - sent), { limitMs: 600_000 });
      sent = target;
      answered += result.ok;
      const count = await waitForCompletions(heapD1, heapTeam.teamId, answered, { limitMs: 120_000 });
      if (count < answered) log(`heap: WARNING only ${count} completions stored for ${answered} answered store requests (${answered - count} lost)`);
      const heap = await measureHeap(session);
      log(`heap after ${target} stored requests (${count} rows): ${(heap.usedBytes / 1048576).toFixed(2)} MiB`);
      return { ...heap, requests: target, answered, stored: count, lost: answered - count, rps: result.rps };
    };
    const baseline = await measureHeap(session);
    const after1k = await storeUpTo(first);
    const after10k = await storeUpTo(total);
    figures.heap = { baseline, after1k, after10k, requests: settings.heapRequests };
  }

  figures.workerLogs = [...workerLogs.values()];
  figures.finishedAt = new Date().toISOString();
  figures.targets = evaluateTargets(figures).map(({ id, label, target, value, pass }) => ({ id, label, target, value, pass }));
  figures.usageTargets = evaluateTargets(figures, USAGE_TARGETS).map(({ id, label, target, value, pass }) => ({ id, label, target, value, pass }));
  figures.info = evaluateInfo(figures).map(({ id, label, value }) => ({ id, label, value }));
  return figures;
}

let exitCode = 0;
try {
  const figures = await main();
  await cleanup();
  mkdirSync(dirname(settings.out), { recursive: true });
  writeFileSync(settings.out, JSON.stringify(figures, null, 2) + "\n");
  const evaluated = evaluateTargets(figures);
  console.log("");
  const pinning = figures.pinnedToCpus ? `workerd on CPU ${figures.pinnedToCpus.workerd}, upstream + load generator on CPU ${figures.pinnedToCpus.upstreamAndLoader}` : "not pinned";
  console.log(
    `LLM gateway benchmark — ${figures.machine.cpus} CPUs (${pinning}), ${figures.machine.node}, ${settings.connections} connections, ` +
      `${settings.rounds} × ${settings.seconds} s per scenario, each after ${settings.warmupSeconds} s warm-up`,
  );
  console.log("");
  console.log(formatTable(figures));
  console.log("");
  if (figures.workerLogs.length > 0) {
    console.log("");
    console.log("worker log events (streams cut off when a load run stops are expected as 'cancelled'):");
    for (const e of figures.workerLogs) console.log(`  ${String(e.count).padStart(6)} × [${e.worker}] ${e.level} ${e.event}${e.outcome ? ` (${e.outcome})` : ""}`);
  }
  const lost = figures.heap?.after10k?.lost;
  if (lost > 0) console.log(`\nSTORE LOST ${lost} of ${figures.heap.after10k.answered} answered store:true requests in the heap run (see worker errors above)`);
  const failed = [...evaluated, ...evaluateTargets(figures, USAGE_TARGETS)].filter((e) => e.pass === false);
  if (failed.length > 0) console.log(`\nTARGET MISSED: ${failed.map((e) => `${e.label} (target ${e.target})`).join(", ")}`);
  console.log(`\nFigures written to ${relative(ROOT, settings.out)}`);
  // The verdicts come last; the very last line is the performance targets'.
  console.log("");
  console.log(evaluateInfo(figures).map((i) => i.text).join("; "));
  console.log(formatRatioLine(evaluateTargets(figures, USAGE_TARGETS)));
  console.log(formatClosingLine(figures));
} catch (err) {
  console.error(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
