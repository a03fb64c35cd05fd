#!/usr/bin/env node
// `npm run test:e2e` (second of two): the console at /console, in a real browser, against a real `npm start`.
//
// Two teams with stored completions, stored responses and counted usage, made through the API; then in
// Chromium: a team key signs in and sees only its team's completions; filters by metadata; opens a
// detail; sees its stored responses and opens one; exports and parses every JSONL line; opens Usage
// and sees a drawn chart; signs out, and the old cookie is refused. The admin token signs in, sees
// both teams, creates a key and sees it once, revokes it (still listed, refused) and deletes it
// (gone). Fails if any request leaves loopback, the page throws or breaks its CSP, or a token is
// found in localStorage or sessionStorage. Saves a screenshot of each view in test-results/console/,
// or, with E2E_SCREENSHOTS=docs, in docs/screenshots/ (the README's): a test run leaves tracked files alone.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { api, check, log, rel, resultsDir, root, runE2e, sleep } from "./harness.mjs";

const shots = process.env.E2E_SCREENSHOTS === "docs" ? join(root, "docs", "screenshots") : join(resultsDir, "console");

await runE2e("console", "console: team and admin sign-in, scoped list, filter, detail, export, usage chart, sign-out, keys (create, revoke, delete)", async (h) => {
  mkdirSync(shots, { recursive: true });
  const { base, adminToken } = await h.startGateway();

  h.stepTo("creating two teams, their keys, stored completions and usage through the API");
  const makeTeam = async (name) => {
    const team = await api(base, "POST", "/admin/teams", adminToken, { name, max_budget_usd: 5, budget_period: "monthly", rpm_limit: 120, tpm_limit: 40000 });
    check(team.status === 201, `POST /admin/teams: ${team.status} ${team.text}`);
    const key = await api(base, "POST", `/admin/teams/${team.json.id}/keys`, adminToken, { name: `${name}-key` });
    check(key.status === 201, `POST /admin/teams/{id}/keys: ${key.status} ${key.text}`);
    return { id: team.json.id, name, key: key.json.key };
  };
  const alpha = await makeTeam("alpha");
  const beta = await makeTeam("beta");
  const store = async (team, body) => {
    const response = await api(base, "POST", "/v1/chat/completions", team.key, { model: "gpt-4o-mini", store: true, ...body });
    check(response.status === 200, `POST /v1/chat/completions: ${response.status} ${response.text}`);
    return response.json.id;
  };
  const alphaIds = [
    await store(alpha, { metadata: { env: "prod" }, messages: [{ role: "user", content: "What is the capital of France?" }] }),
    await store(alpha, {
      metadata: { env: "dev", flow: "tools" },
      messages: [
        { role: "system", content: "You answer weather questions." },
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "18°C, sunny" },
      ],
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
    }),
    await store(alpha, { model: "gpt-4o", metadata: { env: "prod" }, messages: [{ role: "user", content: "Summarise the report." }] }),
  ];
  const betaIds = [await store(beta, { metadata: { env: "prod" }, messages: [{ role: "user", content: "beta's private question" }] })];
  // Stores and usage land just after the answers: wait for both (the queue consumer writes usage).
  const since = Math.floor(Date.now() / 1000) - 3600;
  for (let i = 0; ; i++) {
    const list = await api(base, "GET", "/v1/chat/completions?limit=100", alpha.key);
    const usage = await api(base, "GET", `/v1/organization/usage/completions?start_time=${since}&bucket_width=1h&limit=2`, alpha.key);
    const requests = usage.json?.data?.flatMap((b) => b.results).reduce((n, r) => n + r.num_model_requests, 0) ?? 0;
    if (list.json?.data?.length === alphaIds.length && requests === alphaIds.length) break;
    check(i < 100, `stores or usage never landed: ${list.text} ${usage.text}`);
    await sleep(300);
  }
  log(`alpha: ${alphaIds.length} stored completions; beta: ${betaIds.length}`);

  h.stepTo("creating stored responses through the API (a chain of two for alpha, one for beta)");
  const respond = async (team, body) => {
    const response = await api(base, "POST", "/v1/responses", team.key, { model: "gpt-4o-mini", ...body });
    check(response.status === 200, `POST /v1/responses: ${response.status} ${response.text}`);
    return response.json.id;
  };
  const firstResponse = await respond(alpha, { input: "Name a prime number." });
  const alphaResponses = [firstResponse, await respond(alpha, { input: "And another one?", previous_response_id: firstResponse })];
  const betaResponse = await respond(beta, { input: "beta's private response" });
  for (let i = 0; ; i++) {
    const usage = await api(base, "GET", `/v1/organization/usage/completions?start_time=${since}&bucket_width=1h&limit=2`, alpha.key);
    const requests = usage.json?.data?.flatMap((b) => b.results).reduce((n, r) => n + r.num_model_requests, 0) ?? 0;
    if (requests === alphaIds.length + alphaResponses.length) break;
    check(i < 100, `the responses' usage never landed: ${usage.text}`);
    await sleep(300);
  }
  log(`alpha: ${alphaResponses.length} stored responses; beta: 1`);

  const { context, page, offHost, requests, problems } = await h.launchBrowser();
  await page.setViewportSize({ width: 1100, height: 720 });
  const shot = async (name) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    const path = join(shots, `console-${name}.png`);
    await page.screenshot({ path });
    log(`screenshot: ${rel(path)}`);
  };
  const secrets = [alpha.key, beta.key, adminToken];
  const checkStorage = async () => {
    const stored = await page.evaluate(() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie]));
    for (const secret of secrets) check(!stored.includes(secret), "a token is in localStorage, sessionStorage or a script-readable cookie");
  };
  const nav = (name) => page.getByRole("navigation", { name: "Views" }).getByRole("link", { name, exact: true });
  const rowIds = () => page.locator("table.list tbody tr a[data-id]").evaluateAll((links) => links.map((a) => a.getAttribute("data-id")));

  h.stepTo("signing in with a wrong token");
  const consoleResponse = await page.goto(`${base}/console/`, { waitUntil: "load" });
  check(consoleResponse?.status() === 200, `GET /console/: ${consoleResponse?.status()}`);
  await page.getByLabel("Token").fill("sk-gw-wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Incorrect token" }).waitFor();
  check((await page.locator("table.list").count()) === 0, "a wrong token shows data");
  await shot("sign-in");

  h.stepTo("signing in with alpha's key");
  await page.getByLabel("Token").fill(alpha.key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Completions" }).waitFor();
  await page.locator("table.list tbody tr").first().waitFor();
  const listed = await rowIds();
  check(JSON.stringify(listed) === JSON.stringify([...alphaIds].reverse()), `alpha's list shows ${JSON.stringify(listed)}, expected ${JSON.stringify([...alphaIds].reverse())}`);
  check(!(await page.content()).includes(betaIds[0]), "alpha's console shows beta's completion");
  await checkStorage();
  await shot("completions");
  log("alpha sees exactly its 3 completions");

  h.stepTo("filtering by metadata");
  await page.getByLabel("Metadata").fill("env=dev");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/meta=env%3Ddev/);
  await page.waitForFunction((id) => [...document.querySelectorAll("table.list a[data-id]")].map((a) => a.getAttribute("data-id")).join() === id, alphaIds[1]);
  log("metadata env=dev leaves the one matching completion");

  h.stepTo("opening a detail");
  await page.locator(`a[data-id="${alphaIds[1]}"]`).click();
  await page.getByRole("heading", { name: alphaIds[1] }).waitFor();
  await page.locator(".bubble.tool", { hasText: "18°C, sunny" }).waitFor();
  await page.locator(".tool-call", { hasText: "weather" }).waitFor();
  await page.locator(".bubble.assistant", { hasText: "Echo:" }).last().waitFor();
  check((await page.locator("#metadata").inputValue()).includes("flow=tools"), "the detail's metadata is not editable text with the pairs");
  // A reload keeps the view: filters and the open detail live in the URL.
  await page.reload();
  await page.getByRole("heading", { name: alphaIds[1] }).waitFor();
  await shot("detail");
  log("detail shows the chat with its tool call and result");

  h.stepTo("exporting JSONL");
  await nav("Export").click();
  await page.getByRole("heading", { name: "Export" }).waitFor();
  await shot("export");
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download JSONL" }).click();
  const download = await downloading;
  const lines = readFileSync(await download.path(), "utf8").split("\n").filter((line) => line !== "");
  check(lines.length === alphaIds.length, `the export has ${lines.length} lines, expected ${alphaIds.length}`);
  for (const line of lines) {
    const row = JSON.parse(line);
    check(Array.isArray(row.messages) && row.messages.at(-1).role === "assistant", `not a fine-tuning line: ${line}`);
  }
  check(lines.some((line) => JSON.parse(line).tools?.[0]?.function?.name === "weather"), "the export lost the tools");
  log(`export: ${lines.length} JSONL lines in the fine-tuning format`);

  h.stepTo("opening the Responses view and a stored response");
  await nav("Responses").click();
  await page.getByRole("heading", { name: "Responses" }).waitFor();
  // The index lands just after the answer: reload until both rows are there.
  const expectedResponses = JSON.stringify([...alphaResponses].reverse());
  for (let i = 0; JSON.stringify(await rowIds()) !== expectedResponses; i++) {
    check(i < 30, `alpha's Responses view shows ${JSON.stringify(await rowIds())}, expected ${expectedResponses}`);
    await sleep(300);
    await page.reload();
    await page.getByRole("heading", { name: "Responses" }).waitFor();
    await page.locator("table.list").waitFor();
  }
  check(!(await page.content()).includes(betaResponse), "alpha's console shows beta's response");
  await page.locator(`a[data-id="${alphaResponses[1]}"]`).click();
  await page.getByRole("heading", { name: alphaResponses[1] }).waitFor();
  // Its input: the first turn (question and answer), then its own question; its output, the echo.
  await page.locator(".bubble.user", { hasText: "Name a prime number." }).waitFor();
  await page.locator(".bubble.assistant", { hasText: "Echo: Name a prime number." }).waitFor();
  await page.locator(".bubble.user", { hasText: "And another one?" }).waitFor();
  await page.locator(".bubble.assistant", { hasText: "Echo: And another one?" }).waitFor();
  await shot("response-detail");
  log("the Responses view lists alpha's 2 responses; the detail shows input and output items");

  h.stepTo("opening Usage");
  await nav("Usage").click();
  await page.getByRole("heading", { name: "Usage" }).waitFor();
  await page.locator(".chart canvas").first().waitFor();
  await page.locator(".u-legend .u-series", { hasText: "gpt-4o-mini" }).first().waitFor();
  const drawn = await page.locator(".chart canvas").first().evaluate((canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
    return painted;
  });
  check(drawn > 1000, `the usage chart's canvas is blank (${drawn} painted pixels)`);
  await page.getByRole("heading", { name: "Budget" }).waitFor();
  await page.locator("text=of $5.00 spent").waitFor();
  await shot("usage");
  log(`usage chart drawn (${drawn} painted pixels)`);

  for (const [view, heading] of [["Responses", "Responses"], ["Upstreams", "Upstreams"], ["Keys", "Keys"]]) {
    await nav(view).click();
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
  }
  check((await page.getByRole("button", { name: "Create key" }).count()) === 0, "a team session may create keys by default");
  await checkStorage();

  h.stepTo("signing out");
  const [session] = (await context.cookies(base)).filter((c) => c.name === "console_session");
  check(session && session.httpOnly && session.sameSite === "Strict", `the session cookie is not HttpOnly/SameSite=Strict: ${JSON.stringify(session)}`);
  for (const secret of secrets) check(!session.value.includes(secret), "the session cookie holds a token");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Token").waitFor();
  for (const path of ["/console/session", `/console/api/teams/${alpha.id}/completions`, `/console/api/teams/${alpha.id}/export`]) {
    const old = await fetch(`${base}${path}`, { headers: { cookie: `console_session=${session.value}` } });
    check(old.status === 401, `GET ${path} with the signed-out cookie: ${old.status}`);
  }
  log("signed out: the old cookie gets 401");

  h.stepTo("signing in as the admin");
  await page.getByLabel("Token").fill(adminToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Completions" }).waitFor();
  const teamPicker = page.getByLabel("Team", { exact: true });
  const teamNames = await teamPicker.locator("option").allTextContents();
  check(teamNames.includes("alpha") && teamNames.includes("beta"), `the admin's team picker shows ${JSON.stringify(teamNames)}`);
  await teamPicker.selectOption({ label: "beta" });
  await page.waitForFunction((id) => [...document.querySelectorAll("table.list a[data-id]")].map((a) => a.getAttribute("data-id")).join() === id, betaIds[0]);
  log("the admin sees both teams");

  h.stepTo("creating a key as the admin");
  await nav("Teams").click();
  await page.getByRole("heading", { name: "Teams" }).waitFor();
  await page.locator("table.list tbody tr").nth(1).waitFor();
  await shot("teams");
  await nav("Keys").click();
  await page.getByLabel("New key name").fill("made-in-console");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.locator("[data-new-key]").textContent())?.trim() ?? "";
  check(/^sk-gw-[A-Za-z0-9_-]{43}$/.test(secret), `the new key is not shown: ${JSON.stringify(secret)}`);
  const works = await api(base, "GET", "/v1/chat/completions", secret);
  check(works.status === 200 && works.json.data.some((c) => c.id === betaIds[0]), `the new key does not work for beta: ${works.status}`);
  secrets.push(secret);
  await checkStorage();
  await page.getByRole("button", { name: "Done" }).click();
  await page.locator("table.list", { hasText: "made-in-console" }).waitFor().catch(async () => {
    check((await page.locator('input[aria-label="Key name"]').evaluateAll((inputs) => inputs.map((i) => i.value))).includes("made-in-console"), "the new key is not listed");
  });
  await page.reload();
  await page.getByRole("heading", { name: "Keys" }).waitFor();
  await page.locator("table.list tbody tr").first().waitFor();
  check(!(await page.content()).includes(secret), "the new key is shown again after a reload");
  await shot("keys");
  log("the admin created a key and saw it once");

  h.stepTo("revoking the key, then deleting it");
  const listedKey = async () => (await api(base, "GET", `/admin/teams/${beta.id}/keys`, adminToken)).json.data.find((k) => k.name === "made-in-console");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Revoke key made-in-console" }).click();
  await page.getByRole("status").filter({ hasText: 'Key "made-in-console" revoked.' }).waitFor();
  await page.locator("table.list tbody tr.revoked").waitFor();
  check((await page.getByRole("button", { name: "Revoke key made-in-console" }).count()) === 0, "a revoked key still offers Revoke");
  const revoked = await listedKey();
  check(typeof revoked?.revoked_at === "number", `the revoked key is not listed as revoked: ${JSON.stringify(revoked)}`);
  check((await api(base, "GET", "/v1/chat/completions", secret)).status === 401, "the revoked key still works");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Delete key made-in-console" }).click();
  await page.getByRole("status").filter({ hasText: 'Key "made-in-console" deleted.' }).waitFor();
  await page.getByRole("button", { name: "Delete key made-in-console" }).waitFor({ state: "detached" });
  check((await listedKey()) === undefined, "the deleted key is still listed");
  log("the key was revoked (listed as revoked, refused) and deleted (gone from the list)");

  await nav("Upstreams").click();
  await page.locator(".chart canvas").first().waitFor();
  const upstreamRow = page.locator("table.list tbody tr", { hasText: "default" });
  await upstreamRow.waitFor();
  const cells = await upstreamRow.locator("td").allTextContents();
  // The admin sees every team's requests: alpha's 3 completions and 2 responses, beta's 1 and 1.
  check(cells[1] === "7" && cells[2].startsWith("0 "), `the Upstreams view shows ${JSON.stringify(cells)}`);
  await shot("upstreams");
  await nav("Responses").click();
  await page.getByRole("heading", { name: "Responses" }).waitFor();
  await shot("responses");
  await checkStorage();

  check(requests.length > 0, "the browser made no request");
  check(offHost.length === 0, `requests left loopback: ${offHost.join(", ")}`);
  check(problems.length === 0, problems.join("\n"));
  log(`${requests.length} browser requests, all to loopback; no page error or CSP violation`);
});
