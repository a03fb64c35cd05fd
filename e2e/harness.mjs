// What every browser test shares: its own fake upstream and gateway (`npm start` on a throwaway D1,
// with its own ADMIN_TOKEN, so the developer's .dev.vars and local D1 are not used), Debian's chromium
// through playwright-core with every request off loopback blocked and recorded, and the clean-up of
// everything started, on success, failure, Ctrl-C and the global timeout.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), E2E_TIMEOUT_MS (default 180000),
// E2E_HEADED=1 to watch it.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startFakeUpstream } from "../bench/fake-upstream.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const resultsDir = join(root, "test-results");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const timeoutMs = Number(process.env.E2E_TIMEOUT_MS) > 0 ? Number(process.env.E2E_TIMEOUT_MS) : 180_000;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };

export const log = (message) => console.log(`e2e: ${message}`);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const rel = (path) => relative(root, path);

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Runs `test(h)` with the harness `h`; prints PASS/FAIL with `summary`, and exits 0 or 1.
 * `name` names the log and the failure screenshot in test-results/.
 */
export async function runE2e(name, summary, test) {
  let step = "starting";
  const children = new Set();
  const tempDirs = [];
  const gatewayLogPath = join(resultsDir, `e2e-${name}-gateway.log`);
  let upstream;
  let browserContext;
  let page;
  let logFd;

  const tempDir = (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
  };

  const freePort = () =>
    new Promise((resolve, reject) => {
      const server = createServer();
      server.on("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });

  /** Spawns a command in its own process group, so that it and everything it starts can be killed at once. */
  function spawnGroup(command, args) {
    const child = spawn(command, args, { cwd: root, env: childEnv, detached: true, stdio: ["ignore", logFd, logFd] });
    child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    child.on("error", () => {}); // reported through `exited`
    children.add(child);
    child.exited.then(() => children.delete(child));
    return child;
  }

  async function killGroup(child) {
    const signalGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    signalGroup("SIGTERM");
    const done = await Promise.race([child.exited.then(() => true), sleep(5_000).then(() => false)]);
    // The group leader may exit before its children (wrangler -> workerd): finish the group off either way.
    signalGroup("SIGKILL");
    if (!done) await Promise.race([child.exited, sleep(2_000)]);
  }

  const withTimeout = (promise, ms) => Promise.race([promise, sleep(ms)]);

  let cleanedUp = false;
  async function cleanup() {
    if (cleanedUp) return;
    cleanedUp = true;
    if (browserContext) await withTimeout(browserContext.close().catch(() => {}), 5_000);
    await Promise.all([...children].map(killGroup));
    if (upstream) {
      upstream.closeAllConnections?.();
      await withTimeout(new Promise((resolve) => upstream.close(resolve)), 2_000);
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  const tail = (path, lines = 40) => (existsSync(path) ? readFileSync(path, "utf8").split("\n").slice(-lines).join("\n") : "");

  async function runCommand(command, args, what) {
    const { code, signal } = await spawnGroup(command, args).exited;
    check(code === 0, `${what} failed (exit ${code ?? signal}); see ${rel(gatewayLogPath)}`);
  }

  /** The fake upstream, then the gateway on free ports; resolves once /openapi.json answers. */
  async function startGateway(extraVars = []) {
    h.stepTo("starting the fake upstream");
    upstream = await startFakeUpstream({ port: 0 });
    const upstreamPort = upstream.address().port;
    log(`fake upstream on http://127.0.0.1:${upstreamPort}/v1`);
    const port = await freePort();
    const inspectorPort = await freePort();
    const persistDir = tempDir("gateway-e2e-d1-");
    const adminToken = `adm-e2e-${randomBytes(18).toString("base64url")}`;
    // An env file of our own: with --env-file, wrangler does not read the developer's .dev.vars at all.
    const envFile = join(tempDir("gateway-e2e-env-"), "e2e.env");
    writeFileSync(envFile, `ADMIN_TOKEN=${adminToken}\nID_SECRET=${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
    const wrangler = join(root, "node_modules", ".bin", "wrangler");
    // The throwaway D1 gets its tables here (`npm start` migrates the default local D1).
    h.stepTo("applying the migrations to a temporary local D1");
    await runCommand(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], "wrangler d1 migrations apply");
    h.stepTo("starting the gateway (npm start)");
    const vars = [`UPSTREAM_BASE_URL:http://127.0.0.1:${upstreamPort}/v1`, ...extraVars].flatMap((v) => ["--var", v]);
    const gateway = spawnGroup("npm", [
      "start",
      "--",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persistDir,
      "--env-file",
      envFile,
      ...vars,
    ]);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    let exited = false;
    gateway.exited.then(() => (exited = true));
    for (;;) {
      check(!exited, `the gateway exited during start-up; last lines of ${rel(gatewayLogPath)}:\n${tail(gatewayLogPath)}`);
      check(Date.now() < deadline, `the gateway did not answer within 120 s; last lines of ${rel(gatewayLogPath)}:\n${tail(gatewayLogPath)}`);
      try {
        const response = await fetch(`${base}/openapi.json`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) {
          log(`gateway on ${base}`);
          return { base, adminToken, openapi: await response.json() };
        }
      } catch {
        // not listening yet
      }
      await sleep(300);
    }
  }

  /** Chromium with a fresh profile; `offHost` collects every request that was not to loopback (all are blocked). */
  async function launchBrowser() {
    check(existsSync(chromiumPath), `no browser at ${chromiumPath}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
    h.stepTo(`launching ${chromiumPath}`);
    const userDataDir = tempDir("gateway-e2e-chromium-");
    browserContext = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: process.env.E2E_HEADED !== "1",
      args: [
        ...(process.env.E2E_HEADED === "1" ? [] : ["--headless"]),
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      timeout: 60_000,
    });
    browserContext.setDefaultTimeout(20_000);
    const offHost = [];
    await browserContext.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === "data:" || url.protocol === "blob:" || LOOPBACK.has(url.hostname)) return route.continue();
      offHost.push(url.href);
      return route.abort("blockedbyclient");
    });
    const requests = [];
    browserContext.on("request", (request) => requests.push(request.url()));
    const problems = [];
    page = browserContext.pages()[0] ?? (await browserContext.newPage());
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      const text = message.text();
      if (/Content Security Policy|Content-Security-Policy/i.test(text)) problems.push(`CSP violation: ${text}`);
      else if (message.type() === "error") log(`(browser console error) ${text}`);
    });
    return { context: browserContext, page, offHost, requests, problems };
  }

  const h = {
    stepTo: (what) => (step = what),
    tempDir,
    startGateway,
    launchBrowser,
  };

  let exitCode = 1;
  let timer;
  const onSignal = (signal) => {
    console.error(`e2e: interrupted (${signal})`);
    cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  mkdirSync(resultsDir, { recursive: true });
  logFd = openSync(gatewayLogPath, "w");
  try {
    await Promise.race([
      test(h),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s while ${step}`)), timeoutMs);
      }),
    ]);
    console.log(`e2e: PASS ${summary}`);
    console.log("e2e: 1 passed, 0 failed");
    exitCode = 0;
  } catch (error) {
    console.error(`e2e: FAIL ${error instanceof Error ? error.message : error}`);
    if (page && !page.isClosed()) {
      const failurePath = join(resultsDir, `${name}-failure.png`);
      await withTimeout(page.screenshot({ path: failurePath, fullPage: true }).then(() => console.error(`e2e: screenshot of the failure: ${rel(failurePath)}`)).catch(() => {}), 5_000);
    }
    console.error(`e2e: gateway log: ${rel(gatewayLogPath)}`);
    console.log("e2e: 0 passed, 1 failed");
  } finally {
    clearTimeout(timer);
    await cleanup();
    closeSync(logFd);
  }
  process.exit(exitCode);
}

/** A JSON call to the gateway with a bearer token (setup, outside the browser). */
export async function api(base, method, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : undefined };
}
