#!/usr/bin/env node
// `npm run test:e2e`: the /doc explorer, in a real browser, against a real `npm start`.
//
// Starts its own fake upstream (bench/fake-upstream.mjs) and gateway (`npm start`, with a throwaway D1
// under a temp dir and its own ADMIN_TOKEN, so the developer's .dev.vars and local D1 are not used),
// creates a team and a key through the admin API, stores one completion, then drives Debian's chromium
// with playwright-core: the route list renders (every operation of /openapi.json, admin ones included),
// Authorize with the team key, "List stored chat completions" -> Try it out -> Execute -> 200 with the
// stored id. Fails on any request that leaves loopback and on any CSP violation or page error.
// Writes test-results/doc.png (and test-results/e2e-gateway.log). Everything it starts is stopped at the
// end, on failure, on Ctrl-C and on the global timeout.
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

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = join(root, "test-results");
const screenshotPath = join(resultsDir, "doc.png");
const gatewayLogPath = join(resultsDir, "e2e-gateway.log");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const timeoutMs = Number(process.env.E2E_TIMEOUT_MS) > 0 ? Number(process.env.E2E_TIMEOUT_MS) : 180_000;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };

let step = "starting";
const log = (message) => console.log(`e2e: ${message}`);
/** Names what the test is doing, for the timeout message. */
const stepTo = (what) => (step = what);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- everything started here, stopped by cleanup() ----
const children = new Set();
const tempDirs = [];
let upstream;
let browserContext;
let page;

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Spawns a command in its own process group, so that it and everything it starts can be killed at once. */
function spawnGroup(command, args, logFd) {
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

async function withTimeout(promise, ms) {
  return Promise.race([promise, sleep(ms)]);
}

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

function tail(path, lines = 40) {
  if (!existsSync(path)) return "";
  return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// ---- the test ----
async function runCommand(command, args, logFd, what) {
  const { code, signal } = await spawnGroup(command, args, logFd).exited;
  check(code === 0, `${what} failed (exit ${code ?? signal}); see ${relative(root, gatewayLogPath)}`);
}

async function startGateway(upstreamPort, logFd) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistDir = tempDir("gateway-e2e-d1-");
  const adminToken = `adm-e2e-${randomBytes(18).toString("base64url")}`;
  // An env file of our own: with --env-file, wrangler does not read the developer's .dev.vars at all.
  const envFile = join(tempDir("gateway-e2e-env-"), "e2e.env");
  writeFileSync(envFile, `ADMIN_TOKEN=${adminToken}\n`, { mode: 0o600 });
  const wrangler = join(root, "node_modules", ".bin", "wrangler");
  // The throwaway D1 gets its tables here (`npm start` migrates the default local D1).
  stepTo("applying the migrations to a temporary local D1");
  await runCommand(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], logFd, "wrangler d1 migrations apply");
  stepTo("starting the gateway (npm start)");
  const gateway = spawnGroup(
    "npm",
    [
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
      "--var",
      `UPSTREAM_BASE_URL:http://127.0.0.1:${upstreamPort}/v1`,
    ],
    logFd,
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  let exited = false;
  gateway.exited.then(() => (exited = true));
  for (;;) {
    check(!exited, `the gateway exited during start-up; last lines of ${relative(root, gatewayLogPath)}:\n${tail(gatewayLogPath)}`);
    check(Date.now() < deadline, `the gateway did not answer within 120 s; last lines of ${relative(root, gatewayLogPath)}:\n${tail(gatewayLogPath)}`);
    try {
      const response = await fetch(`${base}/openapi.json`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return { base, adminToken, openapi: await response.json() };
    } catch {
      // not listening yet
    }
    await sleep(300);
  }
}

async function api(base, method, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : undefined };
}

async function main() {
  mkdirSync(resultsDir, { recursive: true });
  rmSync(screenshotPath, { force: true });
  check(existsSync(chromiumPath), `no browser at ${chromiumPath}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  const logFd = openSync(gatewayLogPath, "w");
  try {
    stepTo("starting the fake upstream");
    upstream = await startFakeUpstream({ port: 0 });
    const upstreamPort = upstream.address().port;
    log(`fake upstream on http://127.0.0.1:${upstreamPort}/v1`);

    const { base, adminToken, openapi } = await startGateway(upstreamPort, logFd);
    log(`gateway on ${base}`);

    stepTo("creating a team, a key and a stored completion through the API");
    // Setup through the API: a team, a key, one stored completion.
    const team = await api(base, "POST", "/admin/teams", adminToken, { name: "e2e-team" });
    check(team.status === 201, `POST /admin/teams: expected 201, got ${team.status} ${team.text}`);
    const key = await api(base, "POST", `/admin/teams/${team.json.id}/keys`, adminToken, {});
    check(key.status === 201 && typeof key.json.key === "string", `POST /admin/teams/{id}/keys: expected 201, got ${key.status} ${key.text}`);
    const teamKey = key.json.key;
    const completion = await api(base, "POST", "/v1/chat/completions", teamKey, {
      model: "fake-model",
      store: true,
      metadata: { source: "e2e" },
      messages: [{ role: "user", content: "Hello from the e2e test" }],
    });
    check(completion.status === 200 && completion.json.id, `POST /v1/chat/completions: expected 200, got ${completion.status} ${completion.text}`);
    const completionId = completion.json.id;
    // Storing may finish just after the answer: wait until the list API has it.
    for (let i = 0; ; i++) {
      const list = await api(base, "GET", "/v1/chat/completions", teamKey);
      if (list.status === 200 && list.json.data.some((c) => c.id === completionId)) break;
      check(i < 50, `the stored completion ${completionId} never showed up in GET /v1/chat/completions: ${list.status} ${list.text}`);
      await sleep(200);
    }
    log(`stored completion ${completionId}`);

    stepTo("checking the headers of /doc and its files");
    // Every /doc response, the static files included, carries the secure headers.
    for (const path of ["/doc", "/doc/init.js", "/doc/swagger-ui.css", "/doc/swagger-ui-bundle.js"]) {
      const response = await fetch(`${base}${path}`);
      await response.arrayBuffer();
      check(response.status === 200, `GET ${path}: expected 200, got ${response.status}`);
      check(response.headers.get("x-content-type-options") === "nosniff", `GET ${path}: no x-content-type-options: nosniff`);
      const csp = response.headers.get("content-security-policy") ?? "";
      check(/default-src 'self'/.test(csp) && !/unsafe-|https?:/.test(csp), `GET ${path}: CSP is not 'self'-only: ${csp}`);
    }

    // ---- the browser ----
    stepTo(`launching ${chromiumPath}`);
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
      timeout: 60_000,
    });
    browserContext.setDefaultTimeout(20_000);

    // Nothing may leave loopback: record and block any other host.
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

    stepTo("opening /doc");
    const docResponse = await page.goto(`${base}/doc`, { waitUntil: "load" });
    check(docResponse?.status() === 200, `GET /doc in the browser: ${docResponse?.status()}`);

    // The route list: one block per operation of /openapi.json, admin ones included.
    const expected = Object.entries(openapi.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path, summary: methods[method].summary })),
    );
    check(expected.some((o) => o.path.startsWith("/admin/")), "/openapi.json has no admin routes");
    await page.locator(".opblock").first().waitFor();
    await page.waitForFunction((n) => document.querySelectorAll(".opblock").length >= n, expected.length);
    const rendered = await page.$$eval(".opblock .opblock-summary", (nodes) =>
      nodes.map((n) => ({
        method: n.querySelector(".opblock-summary-method")?.textContent?.trim(),
        path: n.querySelector(".opblock-summary-path")?.getAttribute("data-path"),
      })),
    );
    for (const op of expected) {
      check(
        rendered.some((r) => r.method === op.method && r.path === op.path),
        `the explorer does not show ${op.method} ${op.path}; it shows ${JSON.stringify(rendered)}`,
      );
    }
    check(rendered.length === expected.length, `the explorer shows ${rendered.length} operations, /openapi.json has ${expected.length}`);
    for (const tag of ["Chat", "Stored completions", "Admin"]) {
      check(await page.locator(".opblock-tag", { hasText: tag }).count() > 0, `no "${tag}" section in the explorer`);
    }
    log(`route list renders all ${expected.length} operations`);

    stepTo("authorising with the team key");
    // Authorize with the team key (the TeamKey bearer scheme).
    await page.locator(".auth-wrapper button.authorize").click();
    const teamKeyAuth = page.locator(".dialog-ux .auth-container").filter({ has: page.locator("h4 code", { hasText: /^TeamKey$/ }) });
    await teamKeyAuth.locator("input#auth-bearer-value").fill(teamKey);
    await teamKeyAuth.locator("button.authorize").click();
    await teamKeyAuth.locator("h6", { hasText: "Authorized" }).waitFor();
    await teamKeyAuth.locator("button.btn-done").click();
    await page.locator(".dialog-ux").waitFor({ state: "detached" });
    log("authorised with the team key");

    stepTo("executing List stored chat completions");
    // "List stored chat completions" -> Try it out -> Execute.
    const operation = page.locator(".opblock").filter({
      has: page.locator(".opblock-summary", { hasText: "List stored chat completions" }),
    });
    await operation.locator(".opblock-summary-control").click();
    await operation.locator("button.try-out__btn").click();
    const listResponse = page.waitForResponse(
      (r) => r.request().method() === "GET" && new URL(r.url()).pathname === "/v1/chat/completions",
    );
    await operation.locator("button.execute").click();
    const response = await listResponse;
    const sentAuth = await response.request().headerValue("authorization");
    check(sentAuth === `Bearer ${teamKey}`, `the explorer sent authorization ${JSON.stringify(sentAuth)}, not the team key`);
    check(response.status() === 200, `Execute: expected 200, got ${response.status()} ${await response.text()}`);
    const body = await response.json();
    check(body.object === "list" && body.data.some((c) => c.id === completionId), `Execute: GET ${response.url()} does not list ${completionId}: ${JSON.stringify(body)}`);

    // ...and the explorer shows it: status 200 and the JSON with the id.
    const live = operation.locator(".live-responses-table .response");
    await live.locator(".response-col_status", { hasText: "200" }).waitFor();
    await live.locator(".response-col_description", { hasText: completionId }).waitFor();
    log(`Execute shows 200 and the stored completion ${completionId}`);

    await operation.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath, fullPage: true });
    log(`screenshot: ${relative(root, screenshotPath)}`);

    check(requests.length > 0, "the browser made no request");
    check(offHost.length === 0, `requests left loopback: ${offHost.join(", ")}`);
    check(problems.length === 0, problems.join("\n"));
    log(`${requests.length} browser requests, all to loopback; no CSP violation`);
  } finally {
    closeSync(logFd);
  }
}

let exitCode = 1;
let timer;
const onSignal = (signal) => {
  console.error(`e2e: interrupted (${signal})`);
  cleanup().finally(() => process.exit(130));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
try {
  await Promise.race([
    main(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s while ${step}`)), timeoutMs);
    }),
  ]);
  console.log("e2e: PASS /doc explorer: renders every route, authorises with a team key, lists stored completions, stays on loopback");
  console.log("e2e: 1 passed, 0 failed");
  exitCode = 0;
} catch (error) {
  console.error(`e2e: FAIL ${error instanceof Error ? error.message : error}`);
  if (page && !page.isClosed()) {
    const failurePath = join(resultsDir, "doc-failure.png");
    await withTimeout(page.screenshot({ path: failurePath, fullPage: true }).then(() => console.error(`e2e: screenshot of the failure: ${relative(root, failurePath)}`)).catch(() => {}), 5_000);
  }
  console.error(`e2e: gateway log: ${relative(root, gatewayLogPath)}`);
  console.log("e2e: 0 passed, 1 failed");
} finally {
  clearTimeout(timer);
  await cleanup();
}
process.exit(exitCode);
