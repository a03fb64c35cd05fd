#!/usr/bin/env node
// `npm run test:e2e` (first of two): the /doc explorer, in a real browser, against a real `npm start`.
//
// Starts its own fake upstream and gateway (e2e/harness.mjs), creates a team and a key through the
// admin API, stores one completion, then drives Debian's chromium with playwright-core: the route list
// renders (every operation of /openapi.json, admin ones included), Authorize with the team key, "List
// stored chat completions" -> Try it out -> Execute -> 200 with the stored id. Fails on any request that
// leaves loopback and on any CSP violation or page error. Writes test-results/doc.png.
import { join } from "node:path";
import { rmSync } from "node:fs";
import { api, check, log, rel, resultsDir, runE2e, sleep } from "./harness.mjs";

const screenshotPath = join(resultsDir, "doc.png");

await runE2e("doc", "/doc explorer: renders every route, authorises with a team key, lists stored completions, stays on loopback", async (h) => {
  rmSync(screenshotPath, { force: true });
  const { base, adminToken, openapi } = await h.startGateway();

  h.stepTo("creating a team, a key and a stored completion through the API");
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

  h.stepTo("checking the headers of /doc and its files");
  // Every /doc response, the static files included, carries the secure headers.
  for (const path of ["/doc", "/doc/init.js", "/doc/swagger-ui.css", "/doc/swagger-ui-bundle.js"]) {
    const response = await fetch(`${base}${path}`);
    await response.arrayBuffer();
    check(response.status === 200, `GET ${path}: expected 200, got ${response.status}`);
    check(response.headers.get("x-content-type-options") === "nosniff", `GET ${path}: no x-content-type-options: nosniff`);
    const csp = response.headers.get("content-security-policy") ?? "";
    check(/default-src 'self'/.test(csp) && !/unsafe-|https?:/.test(csp), `GET ${path}: CSP is not 'self'-only: ${csp}`);
  }

  const { page, offHost, requests, problems } = await h.launchBrowser();

  h.stepTo("opening /doc");
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

  h.stepTo("authorising with the team key");
  // Authorize with the team key (the TeamKey bearer scheme).
  await page.locator(".auth-wrapper button.authorize").click();
  const teamKeyAuth = page.locator(".dialog-ux .auth-container").filter({ has: page.locator("h4 code", { hasText: /^TeamKey$/ }) });
  await teamKeyAuth.locator("input#auth-bearer-value").fill(teamKey);
  await teamKeyAuth.locator("button.authorize").click();
  await teamKeyAuth.locator("h6", { hasText: "Authorized" }).waitFor();
  await teamKeyAuth.locator("button.btn-done").click();
  await page.locator(".dialog-ux").waitFor({ state: "detached" });
  log("authorised with the team key");

  h.stepTo("executing List stored chat completions");
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
  log(`screenshot: ${rel(screenshotPath)}`);

  check(requests.length > 0, "the browser made no request");
  check(offHost.length === 0, `requests left loopback: ${offHost.join(", ")}`);
  check(problems.length === 0, problems.join("\n"));
  log(`${requests.length} browser requests, all to loopback; no CSP violation`);
});
