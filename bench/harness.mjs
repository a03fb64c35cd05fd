// The benchmark's Node-side building blocks, each usable on its own (bench/run.mjs puts them
// together): build the worker as it deploys, run a script under Miniflare (workerd) on 127.0.0.1
// with a local D1, apply the migrations, create a team and key through the admin API, sample time
// to first byte, read a worker isolate's heap over the V8 inspector, read and pin processes' CPU.
// Seeding (seed.mjs) and statistics (stats.mjs) use no Node API, so tests can import them too.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { countCompletions, splitMigration } from "./seed.mjs";
import { percentile } from "./stats.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const FLOOR_WORKER = process.env.BENCH_FLOOR_WORKER ? resolve(process.env.BENCH_FLOOR_WORKER) : join(ROOT, "bench", "floor-worker.js");
export { percentile };
export { countCompletions, seedCompletions, seededCompletionId, seededTier, splitMigration } from "./seed.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Build and run

/** compatibility_date and compatibility_flags of wrangler.toml, so that the bench runs what deploys. */
export function readCompatibility(root = ROOT) {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const date = /^\s*compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flagsText = /^\s*compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  const flags = [...flagsText.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { compatibilityDate: date, compatibilityFlags: flags };
}

/** Runs a command with a time limit; resolves with its output, rejects on failure or timeout. */
export function runCommand(command, args, { cwd = ROOT, env = process.env, limitMs = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output.slice(-4000)}`));
    });
  });
}

/** `wrangler deploy --dry-run --outdir`: the bundle exactly as it would be uploaded. Returns its path. */
export async function buildWorkerBundle(outdir, { root = ROOT } = {}) {
  const wrangler = join(root, "node_modules", ".bin", "wrangler");
  // wrangler.toml's [assets] needs public/, which a fresh clone lacks until the doc assets are copied.
  await runCommand(process.execPath, [join(root, "scripts", "copy-doc-assets.mjs")], { cwd: root, env: process.env });
  await runCommand(wrangler, ["deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
  });
  return join(outdir, "index.js");
}

/** Pids of this process's workerd children (Miniflare spawns one per instance). Linux only. */
export function workerdChildren() {
  try {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          return Number(fields[1]) === process.pid && stat.includes("(workerd)");
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** Busy CPU time of the whole machine so far (all CPUs, from /proc/stat), in ms; null where there is none. */
export function machineBusyCpuMs() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: busy = all but idle and iowait.
    const busy = fields.slice(0, 8).reduce((a, b) => a + b, 0) - fields[3] - fields[4];
    return (busy * 1000) / 100;
  } catch {
    return null;
  }
}

/**
 * Pins every thread of a process to the given CPUs (`taskset -a -p -c`). Returns false where that
 * is not possible (no taskset, not Linux); the bench then runs unpinned.
 */
export function pinProcess(pid, cpuList) {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpuList, String(pid)], { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** user + system CPU time of a process, in ms (from /proc; null where there is none). */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5)), in clock ticks (100 Hz on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

const RUNTIME_NOISE = /disconnected: ::(write|read)|Connection reset by peer|Broken pipe|^stack: /;

function passLines(stream, name, onLog) {
  let rest = "";
  stream.on("data", (data) => {
    const lines = (rest + data).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim() || RUNTIME_NOISE.test(line)) continue;
      if (onLog && line.trimStart().startsWith("{")) {
        try {
          const event = JSON.parse(line);
          if (event && typeof event.event === "string") {
            onLog(name, event, line);
            continue;
          }
        } catch {
          // not one of the gateway's JSON log lines: printed as it is
        }
      }
      process.stderr.write(`[${name}] ${line}\n`);
    }
  });
}

/**
 * The queue producers and consumers, the Durable Objects and the R2 buckets that wrangler.toml
 * declares, as Miniflare options (wrangler's own translation), so that the gateway runs with its
 * background bindings and body store as it deploys. D1 and the assets are set up by the bench itself.
 */
export async function backgroundBindings(root = ROOT) {
  const { unstable_getMiniflareWorkerOptions } = await import(join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js"));
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  const { queueProducers = {}, queueConsumers = {}, durableObjects = {}, r2Buckets = {}, d1Databases = {} } = workerOptions;
  return { queueProducers, queueConsumers, durableObjects, r2Buckets, d1Names: Object.keys(d1Databases) };
}

/**
 * Runs a worker script (an ES module) under Miniflare on 127.0.0.1, on a free port.
 * `d1` adds a local D1 database bound as DB, persisted in `d1Persist` (a directory).
 * `inspector: true` opens workerd's V8 inspector on a free port (used only for the heap figures).
 * `wranglerBindings: true` adds wrangler.toml's queues, Durable Objects and R2 buckets (see backgroundBindings).
 * `onLog(workerName, event, line)` receives the worker's structured (JSON, with `event`) log lines
 * instead of stderr; other output goes to stderr.
 * Resolves with { mf, url, pid, inspectorHost, dispose }.
 */
export async function startWorker({ name, scriptPath, bindings = {}, d1Persist, inspector = false, root = ROOT, onLog, wranglerBindings = false }) {
  const { Miniflare } = await import(join(root, "node_modules", "miniflare", "dist", "src", "index.js"));
  const before = new Set(workerdChildren());
  const options = {
    name,
    modules: true,
    modulesRoot: dirname(scriptPath),
    scriptPath,
    ...readCompatibility(root),
    bindings,
    host: "127.0.0.1",
    port: 0,
    logRequests: false,
    // The workers' own console output (the gateway logs only on failures) is passed on, to stderr;
    // workerd's report of a client that hung up (autocannon stopping mid-response) is not.
    handleRuntimeStdio(stdout, stderr) {
      passLines(stdout, name, onLog);
      passLines(stderr, name, onLog);
    },
  };
  let d1Names = ["DB"];
  if (wranglerBindings) {
    const { d1Names: declared, ...background } = await backgroundBindings(root);
    Object.assign(options, background);
    if (declared.length > 0) d1Names = declared;
  }
  if (d1Persist) {
    // Every D1 database wrangler.toml binds (the control database and each store shard), each its own file.
    options.d1Databases = Object.fromEntries(d1Names.map((binding) => [binding, `${name}-${binding.toLowerCase()}`]));
    options.d1Persist = d1Persist;
  }
  if (inspector) {
    options.inspectorPort = 0;
    options.inspectorHost = "127.0.0.1";
  }
  const mf = new Miniflare(options);
  let url;
  try {
    url = await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
  const pid = workerdChildren().find((p) => !before.has(p)) ?? null;
  const inspectorHost = inspector ? (await mf.getInspectorURL()).host : null;
  let disposed = null;
  return { mf, url: new URL(url), pid, inspectorHost, name, dispose: () => (disposed ??= mf.dispose()) };
}

// ---------------------------------------------------------------------------------------------
// D1

/** Every statement of migrations/*.sql, in file order. */
export function readMigrations(dir = join(ROOT, "migrations")) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .flatMap((f) => splitMigration(readFileSync(join(dir, f), "utf8")));
}

export async function applyMigrations(d1, statements = readMigrations()) {
  await d1.batch(statements.map((s) => d1.prepare(s)));
}

/** Polls until the team has `expected` completions or the count stops moving; resolves with the last count. */
export async function waitForCompletions(d1, teamId, expected, { limitMs = 120_000, stallMs = 10_000 } = {}) {
  const deadline = Date.now() + limitMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = await countCompletions(d1, teamId);
    if (n >= expected) return n;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    }
    if (Date.now() > deadline || Date.now() - lastChange > stallMs) return n;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A JSON request to the gateway; rejects on a non-2xx answer. */
export async function requestJson(url, { method = "GET", token, body, limitMs = 30_000 } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(limitMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** A team and one of its keys, made through the admin API: { teamId, key }. */
export async function createTeamWithKey(baseUrl, adminToken, name) {
  const team = await requestJson(new URL("/admin/teams", baseUrl), { method: "POST", token: adminToken, body: { name } });
  const key = await requestJson(new URL(`/admin/teams/${team.id}/keys`, baseUrl), { method: "POST", token: adminToken, body: {} });
  if (!team?.id || !key?.key) throw new Error("the admin API did not return a team id and a key");
  return { teamId: team.id, key: key.key, keyId: key.id };
}

/**
 * Signs in to the console as its page does (`POST /console/session`, with the Sec-Fetch-Site header
 * a browser adds to the page's own requests) and returns the session cookie as a `cookie` header value.
 */
export async function signInToConsole(baseUrl, token) {
  const res = await fetch(new URL("/console/session", baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
    body: JSON.stringify({ token }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /console/session -> ${res.status}: ${text.slice(0, 500)}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.includes("console_session="));
  if (!cookie) throw new Error("POST /console/session set no session cookie");
  return cookie;
}

/**
 * One request: ms from sending it to the response headers and to the first byte of its body, and
 * to the end. Rejects past `limitMs`.
 */
export function timeFirstByte(url, { method = "POST", headers = {}, body, agent, limitMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const payload = body === undefined ? undefined : Buffer.from(body);
    const start = performance.now();
    let headersMs = null;
    let firstByteMs = null;
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method,
        agent,
        headers: payload ? { ...headers, "content-length": payload.length } : headers,
      },
      (res) => {
        headersMs = performance.now() - start;
        res.on("data", () => {
          if (firstByteMs === null) firstByteMs = performance.now() - start;
        });
        res.on("end", () => {
          clearTimeout(timer);
          if (res.statusCode < 200 || res.statusCode >= 300) reject(new Error(`${url} -> ${res.statusCode}`));
          else resolve({ headersMs, firstByteMs, totalMs: performance.now() - start });
        });
        res.on("error", reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${limitMs} ms`)), limitMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}

/** `samples` time-to-first-byte measurements, `concurrency` at a time, after `warmup` discarded ones. */
export async function sampleFirstByte(url, options, { samples = 50, concurrency = 5, warmup = 3 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    for (let i = 0; i < warmup; i++) await timeFirstByte(url, { ...options, agent });
    const results = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < samples) {
          next++;
          results.push(await timeFirstByte(url, { ...options, agent }));
        }
      }),
    );
    const sorted = (key) => results.map((r) => r[key]).sort((a, b) => a - b);
    const firstByte = sorted("firstByteMs");
    const total = sorted("totalMs");
    return {
      samples: results.length,
      firstByteMs: { p50: percentile(firstByte, 50), p99: percentile(firstByte, 99), min: firstByte[0], max: firstByte.at(-1) },
      totalMs: { p50: percentile(total, 50), p99: percentile(total, 99) },
    };
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Heap, over the V8 inspector protocol

/**
 * A V8 inspector session with one worker isolate of a workerd process (Miniflare `inspectorPort`).
 * Workers are listed at /json/list; the user worker `name` is "core:user:<name>".
 */
export async function openInspector(inspectorHost, workerName, { root = ROOT, targetId = `core:user:${workerName}` } = {}) {
  const { default: WebSocket } = await import(join(root, "node_modules", "ws", "wrapper.mjs"));
  const targets = await (await fetch(`http://${inspectorHost}/json/list`, { signal: AbortSignal.timeout(10_000) })).json();
  const target = targets.find((t) => t.id === targetId);
  if (!target) throw new Error(`no inspector target ${targetId} (have: ${targets.map((t) => t.id).join(", ")})`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("inspector connection timed out")), 10_000);
    ws.once("open", () => (clearTimeout(timer), resolve()));
    ws.once("error", (err) => (clearTimeout(timer), reject(err)));
  });
  let nextId = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(String(data));
    // Answers carry the request's id (workerd answers takeHeapSnapshot by echoing the request).
    if (message.id !== undefined && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  });
  const call = (method, params = {}, limitMs = 60_000) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector: ${method} got no answer within ${limitMs} ms`));
      }, limitMs);
      pending.set(id, (message) => {
        clearTimeout(timer);
        if (message.error) reject(new Error(`inspector: ${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => ws.close() };
}

/**
 * The isolate's V8 heap after a full collection, in bytes. workerd runs HeapProfiler.collectGarbage
 * only at the isolate's next task, so instead a heap snapshot is taken (V8 collects garbage
 * completely before it writes one; its chunks are ignored), then Runtime.getHeapUsage is read.
 * The smallest of `rounds` readings is kept.
 */
export async function measureHeap(session, { rounds = 3 } = {}) {
  let best = null;
  for (let i = 0; i < rounds; i++) {
    await session.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false });
    const usage = await session.call("Runtime.getHeapUsage");
    if (best === null || usage.usedSize < best.usedSize) best = usage;
  }
  return { usedBytes: best.usedSize, totalBytes: best.totalSize };
}
