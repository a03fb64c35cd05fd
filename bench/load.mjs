#!/usr/bin/env node
// The load generator: autocannon, run in a child process of its own so that it never shares a
// CPU core's event loop with the fake upstream or the orchestrator.
//   bench/run.mjs forks this file and sends it one job (see `runLoad`); it answers with the figures.
//   By hand: node bench/load.mjs '{"url":"http://127.0.0.1:8081/v1/chat/completions","method":"POST",...}'
//
// Latencies are taken from autocannon's per-response event (process.hrtime, sub-millisecond), not
// from its histogram, which rounds to whole milliseconds. Only 2xx responses count as latencies.
import { fork } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { percentile } from "./stats.mjs";

export { mergeRuns, percentile } from "./stats.mjs";

const MAX_SAMPLES = 5_000_000;

/**
 * @typedef {object} LoadJob
 * @property {string} url           full URL (its path is used unless `paths` is given)
 * @property {string} [method]      default GET
 * @property {Record<string,string>} [headers]
 * @property {string} [body]
 * @property {string[]} [bodies]    bodies to cycle through, one per request (instead of `body`)
 * @property {string[]} [paths]     paths to cycle through, one per request
 * @property {number} [connections] default 32
 * @property {number} [seconds]     measured duration (ignored when `amount` is set)
 * @property {number} [amount]      send exactly this many requests, then stop
 * @property {number} [warmupSeconds] a discarded run before the measured one
 * @property {number} [timeoutSeconds] per request, default 30
 * @property {boolean} [keepLatencies] also return every 2xx latency (ms, ascending), for `mergeRuns`
 */

async function autocannonRun(job, { seconds, amount }) {
  const { default: autocannon } = await import("autocannon");
  const paths = job.paths?.length ? job.paths : null;
  const bodies = job.bodies?.length ? job.bodies : null;
  let next = 0;
  const request = {
    method: job.method ?? "GET",
    headers: job.headers ?? {},
    body: job.body,
    setupRequest: (req) => {
      const i = next++;
      const out = { ...req };
      if (paths) out.path = paths[i % paths.length];
      if (bodies) out.body = bodies[i % bodies.length];
      return out;
    },
  };
  const latencies = [];
  const statusCounts = {};
  const cpuBefore = process.cpuUsage();
  const options = {
    url: job.url,
    connections: job.connections ?? 32,
    pipelining: 1,
    timeout: job.timeoutSeconds ?? 30,
    requests: [request],
  };
  if (amount) options.amount = amount;
  else options.duration = seconds;
  const started = performance.now();
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300 && latencies.length < MAX_SAMPLES) latencies.push(responseTime);
    });
  });
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  const total = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  // autocannon's own duration excludes its start-up; ours is the wall time of the whole run.
  const duration = typeof result.duration === "number" && result.duration > 0 ? result.duration : elapsedSeconds;
  return {
    requests: total,
    ok,
    non2xx: total - ok,
    errors: result.errors ?? 0,
    timeouts: result.timeouts ?? 0,
    statusCounts,
    seconds: duration,
    rps: ok / duration,
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.length ? latencies[latencies.length - 1] : null,
      mean: ok ? latencies.reduce((a, b) => a + b, 0) / ok : null,
    },
    loaderCpuMs: (cpu.user + cpu.system) / 1000,
    ...(job.keepLatencies ? { latencies: latencies.map((v) => Math.round(v * 1000) / 1000) } : {}),
  };
}

/** Runs one job in this process: an optional warm-up, then the measured run. */
export async function runLoadHere(job) {
  if (job.warmupSeconds > 0 && !job.amount) await autocannonRun(job, { seconds: job.warmupSeconds });
  return autocannonRun(job, { seconds: job.seconds ?? 10, amount: job.amount });
}

/**
 * Runs one job in a child process (this file, forked) and resolves with its figures.
 * `limitMs` bounds the whole child; past it the child is killed and the promise rejects.
 */
export function runLoad(job, { limitMs } = {}) {
  const budget = limitMs ?? ((job.warmupSeconds ?? 0) + (job.seconds ?? 10)) * 1000 + 60_000 + (job.amount ? 300_000 : 0);
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--child"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let settled = false;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(value);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(reject, new Error(`load generator did not finish within ${budget} ms`));
    }, budget);
    child.on("message", (message) => {
      if (message?.error) finish(reject, new Error(`load generator: ${message.error}`));
      else finish(resolve, message.result);
    });
    child.on("error", (err) => finish(reject, err));
    child.on("exit", (code) => finish(reject, new Error(`load generator exited with code ${code} before answering`)));
    child.send({ job });
  });
}

if (process.argv.includes("--child") && process.send) {
  // The parent went away (stopped, crashed): stop too.
  process.once("disconnect", () => process.exit(1));
  process.once("message", async ({ job }) => {
    try {
      const result = await runLoadHere(job);
      process.send({ result }, () => process.exit(0));
    } catch (err) {
      process.send({ error: err instanceof Error ? err.stack : String(err) }, () => process.exit(1));
    }
  });
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const job = JSON.parse(process.argv[2] ?? "{}");
  if (!job.url) {
    console.error("usage: node bench/load.mjs '{\"url\":\"http://127.0.0.1:8081/v1/models\",\"seconds\":5}'");
    process.exit(2);
  }
  console.log(JSON.stringify(await runLoadHere(job), null, 2));
}
