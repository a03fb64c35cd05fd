#!/usr/bin/env node
// Where does a scenario's time go? Runs one scenario under load while the V8 CPU profiler samples
// the gateway's isolate (PROFILE_ISOLATES=all: also the simulators' and Miniflare's entry isolate,
// all on one workerd thread), and prints each isolate's CPU (profile-summary.mjs), the functions
// with the most self time (mapped back to src/ through the bundle's source map), the time per
// source file, and the CPU time of each workerd thread.
//   node bench/profile.mjs gateway|gateway-off|store|stream|stream-store|floor|floor-stream|responses-unstored|responses-stored|translated|get|list|list-metadata
//   A streamed scenario with "-200" appended (stream-200, floor-stream-200, …) has the upstream send 200 chunks instead of 8.
//   Usage counting is on (as in the bench's CPU targets) except in "gateway-off"; "usage" is "gateway".
//   The Responses scenarios need POST /v1/responses; responses-unstored and responses-stored run with UPSTREAM_API=responses.
//   PROFILE_SECONDS=8 PROFILE_CONNECTIONS=32 PROFILE_TOP=30 PROFILE_INTERVAL_US=100 PROFILE_ISOLATES=all
//   PROFILE_OUT=bench/results/profile-<scenario>.json
//   PROFILE_RAW=<dir>: also writes each isolate's raw .cpuprofile there (its stacks, for DevTools)
// Not part of `npm run bench`: the profiler slows the worker down; use it to explain a figure.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { startFakeUpstream } from "./fake-upstream.mjs";
import {
  ROOT,
  FLOOR_WORKER,
  applyMigrations,
  buildWorkerBundle,
  createTeamWithKey,
  openInspector,
  seedCompletions,
  seededCompletionId,
  startWorker,
} from "./harness.mjs";
import { runLoad } from "./load.mjs";
import { summarizeProfile } from "./profile-summary.mjs";

/** CPU time (ms) of each thread of a process, by thread name. Linux only. */
export function threadCpuMs(pid) {
  const out = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      out[`${comm}#${tid}`] = ms;
    }
  } catch {
    // not Linux, or the process is gone
  }
  return out;
}

/** A position mapper for a wrangler bundle (index.js + index.js.map); sources are made relative to the repo. */
export function bundleMapper(bundlePath, root = ROOT) {
  let map;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, "utf8")));
  } catch {
    return () => null;
  }
  const bundleUrl = pathToFileURL(bundlePath).href;
  const bundleName = bundlePath.split("/").pop();
  return (url, line, column) => {
    if (url !== bundleUrl && !url.endsWith(`/${bundleName}`) && url !== bundleName) return null;
    const entry = map.findEntry(line, column);
    if (!entry?.originalSource) return null;
    let source = entry.originalSource.replace(/^file:\/\//, "");
    // node_modules may be a link to another checkout's: cut at the last node_modules/ or src/.
    if (source.includes("node_modules/")) source = source.slice(source.lastIndexOf("node_modules/"));
    else if (source.includes("/src/")) source = source.slice(source.lastIndexOf("/src/") + 1);
    else source = relative(root, source);
    return { source, line: entry.originalLine, name: entry.name };
  };
}

/**
 * A V8 CPU profiler attached to one worker's own isolate (`core:user:<name>`): not Miniflare's
 * entry worker, not the local D1's or queues' simulators. `measure(run)` profiles while `run()`
 * runs and returns its result with the isolate's CPU ms (profile-summary.mjs says how it is counted).
 */
export async function isolateProfiler(worker, { intervalUs = 100, mapper = () => null } = {}) {
  const session = await openInspector(worker.inspectorHost, worker.name);
  await session.call("Profiler.enable");
  await session.call("Profiler.setSamplingInterval", { interval: intervalUs });
  return {
    async measure(run) {
      await session.call("Profiler.start");
      const result = await run().catch(async (err) => {
        await session.call("Profiler.stop").catch(() => {});
        throw err;
      });
      const { profile } = await session.call("Profiler.stop", {}, 120_000);
      return { result, summary: summarizeProfile(profile, mapper) };
    },
    close: () => session.close(),
  };
}

async function main() {
  const requested = process.argv[2] ?? "gateway";
  const chunks = requested.endsWith("-200") ? 200 : 8;
  const scenario = requested.replace(/-200$/, "");
  const seconds = Number(process.env.PROFILE_SECONDS ?? 8);
  const connections = Number(process.env.PROFILE_CONNECTIONS ?? 32);
  const topN = Number(process.env.PROFILE_TOP ?? 30);
  const out = process.env.PROFILE_OUT ?? join(ROOT, "bench", "results", `profile-${requested}.json`);
  const adminToken = `adm-${randomBytes(12).toString("base64url")}`;
  const work = mkdtempSync(join(tmpdir(), "llm-gateway-profile-"));
  const closers = [async () => rmSync(work, { recursive: true, force: true })];
  try {
    const bundle = await buildWorkerBundle(join(work, "dist"));
    const upstream = await startFakeUpstream({ port: 0 });
    closers.push(() => new Promise((r) => (upstream.closeAllConnections?.(), upstream.close(() => r()))));
    const upstreamBase = `http://127.0.0.1:${upstream.address().port}/v1`;
    const isFloor = scenario.startsWith("floor");
    const worker = await startWorker(
      isFloor
        ? { name: "floor", scriptPath: FLOOR_WORKER, bindings: { UPSTREAM_BASE_URL: upstreamBase }, inspector: true }
        : {
            name: "gateway",
            scriptPath: bundle,
            bindings: {
              UPSTREAM_BASE_URL: upstreamBase,
              ADMIN_TOKEN: adminToken,
              ID_SECRET: randomBytes(32).toString("base64url"),
              USAGE_COUNTING: scenario === "gateway-off" ? "off" : "on",
              ...(scenario.startsWith("responses-") ? { UPSTREAM_API: "responses" } : {}),
            },
            d1Persist: join(work, "d1"),
            inspector: true,
            wranglerBindings: true,
          },
    );
    closers.push(() => worker.dispose());
    const messages = [
      { role: "system", content: "You are a helpful assistant for an online shop. Answer briefly." },
      { role: "user", content: "Where is my order #1234? It was supposed to arrive yesterday." },
    ];
    const body = (extra) => JSON.stringify({ model: "gpt-4o-mini", messages, ...extra });
    const responsesBody = (extra) => JSON.stringify({ model: "gpt-4o-mini", input: messages, ...extra });
    const streamed = { stream: true, x_fake: { chunks } };
    const responsesUrl = new URL("/v1/responses", worker.url).href;
    const headers = { "content-type": "application/json" };
    const url = new URL("/v1/chat/completions", worker.url).href;
    let job;
    if (!isFloor) {
      const d1 = await worker.mf.getD1Database("DB");
      await applyMigrations(d1);
      await applyMigrations(await worker.mf.getD1Database("DB_SHARD_1"));
      const team = await createTeamWithKey(worker.url, adminToken, "profile");
      headers.authorization = `Bearer ${team.key}`;
      if (["get", "list", "list-metadata"].includes(scenario)) {
        await seedCompletions(d1, { teamId: team.teamId, to: 100_000, baseCreated: Math.floor(Date.now() / 1000) - 200_000 });
      }
      const ids = Array.from({ length: 1000 }, (_, i) => seededCompletionId(((i * 7919) % 1000) * 100));
      job = {
        gateway: { url, method: "POST", headers, body: body({}) },
        "gateway-off": { url, method: "POST", headers, body: body({}) },
        usage: { url, method: "POST", headers, body: body({}) },
        "responses-unstored": { url: responsesUrl, method: "POST", headers, body: responsesBody({ ...streamed, store: false }) },
        "responses-stored": { url: responsesUrl, method: "POST", headers, body: responsesBody(streamed) },
        translated: { url: responsesUrl, method: "POST", headers, body: responsesBody({ stream: true, user: `x_fake:${JSON.stringify({ chunks })}` }) },
        store: { url, method: "POST", headers, body: body({ store: true, metadata: { bench: "store" } }) },
        stream: { url, method: "POST", headers, body: body(streamed) },
        "stream-store": { url, method: "POST", headers, body: body({ ...streamed, store: true, metadata: { bench: "s" } }) },
        get: { url, method: "GET", headers: { authorization: headers.authorization }, paths: ids.map((id) => `/v1/chat/completions/${id}`) },
        list: { url, method: "GET", headers: { authorization: headers.authorization }, paths: ids.slice(0, 200).map((id, i) => `/v1/chat/completions?limit=20${i % 2 ? "&order=desc" : ""}${i % 4 >= 2 ? `&after=${id}` : ""}`) },
        "list-metadata": { url, method: "GET", headers: { authorization: headers.authorization }, paths: ids.slice(0, 200).map((id, i) => `/v1/chat/completions?limit=20&metadata%5Btier%5D=gold${i % 2 ? "&order=desc" : ""}${i % 4 >= 2 ? `&after=${id}` : ""}`) },
      }[scenario];
    } else {
      job = { url, method: "POST", headers, body: body(scenario === "floor-stream" ? streamed : {}) };
    }
    if (!job) throw new Error(`unknown scenario ${scenario}`);

    // Warm up, then profile every isolate of the worker's workerd process.
    await runLoad({ ...job, connections, seconds: 2 });
    const targets = await (await fetch(`http://${worker.inspectorHost}/json/list`)).json();
    const sessions = [];
    // PROFILE_ISOLATES=all profiles every isolate; by default only the worker's own.
    const wanted = process.env.PROFILE_ISOLATES === "all" ? targets : targets.filter((t) => t.id === `core:user:${worker.name}`);
    for (const t of wanted) {
      const session = await openInspector(worker.inspectorHost, t.id.replace(/^core:user:/, ""), { targetId: t.id });
      closers.push(async () => session.close());
      await session.call("Profiler.enable");
      await session.call("Profiler.setSamplingInterval", { interval: Number(process.env.PROFILE_INTERVAL_US ?? 100) });
      await session.call("Profiler.start");
      sessions.push({ id: t.id, session });
    }
    const threadsBefore = threadCpuMs(worker.pid);
    const result = await runLoad({ ...job, connections, seconds });
    const threadsAfter = threadCpuMs(worker.pid);
    const mapper = bundleMapper(bundle);
    const isolates = [];
    for (const { id, session } of sessions) {
      const { profile } = await session.call("Profiler.stop", {}, 120_000);
      if (process.env.PROFILE_RAW) {
        mkdirSync(process.env.PROFILE_RAW, { recursive: true });
        writeFileSync(join(process.env.PROFILE_RAW, `${scenario}-${id.replace(/[^\w-]+/g, "_")}.cpuprofile`), JSON.stringify(profile));
      }
      isolates.push({ id, ...summarizeProfile(profile, mapper) });
    }
    const threads = Object.entries(threadsAfter)
      .map(([name, ms]) => ({ name, ms: ms - (threadsBefore[name] ?? 0) }))
      .filter((t) => t.ms > 0)
      .sort((a, b) => b.ms - a.ms);

    console.log(`\nprofile of '${scenario}': ${result.ok} ok responses in ${result.seconds} s (${result.rps.toFixed(0)} rps with the profiler on), p50 ${result.latencyMs.p50?.toFixed(2)} ms`);
    console.log(`workerd threads (CPU ms during the run): ${threads.map((t) => `${t.name} ${t.ms.toFixed(0)}`).join(", ")}`);
    const processMs = threads.reduce((sum, t) => sum + t.ms, 0);
    for (const iso of isolates.sort((a, b) => b.busyMs - a.busyMs)) {
      if (iso.busyMs < 1) continue;
      if (iso.busyMs > processMs) console.log(`\n!! ${iso.id}: ${iso.busyMs.toFixed(0)} ms is more than the process's ${processMs.toFixed(0)} ms of CPU: the sampling period was misread`);
      const perReq = result.ok ? (iso.busyMs * 1000) / result.ok : 0;
      console.log(`\n== isolate ${iso.id}: ${iso.busyMs.toFixed(0)} ms of CPU in ${iso.totalMs.toFixed(0)} ms (${perReq.toFixed(0)} µs per response; ${iso.samples} samples, one per ${iso.periodUs} µs; of it "(program)" ${iso.programMs.toFixed(0)} ms)`);
      console.log("  by file:");
      for (const f of iso.files.slice(0, 12)) console.log(`    ${(f.shareOfBusy * 100).toFixed(1).padStart(5)}%  ${((f.ms * 1000) / Math.max(1, result.ok)).toFixed(1).padStart(7)} µs/req  ${f.name}`);
      console.log("  by function (self time):");
      for (const f of iso.functions.slice(0, topN)) console.log(`    ${(f.shareOfBusy * 100).toFixed(1).padStart(5)}%  ${((f.ms * 1000) / Math.max(1, result.ok)).toFixed(1).padStart(7)} µs/req  ${f.name}`);
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ scenario, load: result, threads, isolates: isolates.map((i) => ({ ...i, functions: i.functions.slice(0, 200) })) }, null, 2) + "\n");
    console.log(`\nwritten to ${relative(ROOT, out)}`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    await main();
    process.exit(0);
  } catch (err) {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  }
}
