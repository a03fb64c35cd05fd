import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { UsageRepository } from "../src/db/usage";
import type { UsageEvent } from "../src/db/types";
import { usdToNanos } from "../src/lib/money";
import { consoleCall, signIn, storeCompletions } from "./helpers/console";
import { ADMIN_TOKEN, BASE, call, createTeamWithKey, json } from "./helpers/gateway";
import { restoreSpies } from "./helpers/spies";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";

// Every console endpoint: sign-in and its cookie, the cross-site guard, sign-out, and team scoping.

/** JSONL bodies, decoded as UTF-8 (Response.text() warns about a type it does not know as text). */
const text = async (response: Response) => new TextDecoder().decode(await response.arrayBuffer());

let a: { teamId: string; key: string; keyId: string };
let b: { teamId: string; key: string; keyId: string };
let aIds: string[];
let bIds: string[];
let aResponses: string[];
let bResponse: string;

const toolCall = { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } };
const tools = [{ type: "function", function: { name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];

beforeAll(async () => {
  a = await createTeamWithKey();
  b = await createTeamWithKey();
  aIds = await storeCompletions(a.key, [
    { model: "gpt-4o-mini", metadata: { env: "prod" } },
    { model: "gpt-4o", metadata: { env: "dev" } },
    {
      model: "gpt-4o-mini",
      metadata: { env: "prod", flow: "tools" },
      tools,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [toolCall] },
        { role: "tool", tool_call_id: "call_1", content: "18°C, sunny" },
      ],
      answer: { role: "assistant", content: "It is 18°C and sunny in Paris.", refusal: null },
      usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
    },
  ]);
  bIds = await storeCompletions(b.key, [{ model: "gpt-4o-mini", metadata: { env: "prod" } }]);
  // Stored responses through a chat upstream that echoes the last message it got.
  mockUpstream((upstream) => {
    const last = upstream.body.messages.at(-1).content;
    const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
    return jsonResponse(completionFixture({ model: upstream.body.model, choices: [{ index: 0, message: { role: "assistant", content: `echo ${last}`, refusal: null }, finish_reason: "stop", logprobs: null }], usage }));
  });
  const respond = async (key: string, body: Record<string, unknown>) => (await json(await call("/v1/responses", { key, body }))).id as string;
  const first = await respond(a.key, { model: "gpt-4o-mini", input: "one" });
  const second = await respond(a.key, { model: "gpt-4o", input: "two" });
  const third = await respond(a.key, { model: "gpt-4o-mini", input: "three", previous_response_id: first });
  aResponses = [first, second, third];
  bResponse = await respond(b.key, { model: "gpt-4o-mini", input: "b's secret" });
  restoreSpies();
});

describe("sign-in", () => {
  it("refuses a wrong token with an error, no cookie and no data", async () => {
    for (const token of ["wrong", `sk-gw-${"x".repeat(43)}`, `${ADMIN_TOKEN}x`]) {
      const result = await signIn(token);
      expect(result.status).toBe(401);
      expect(result.setCookie).toBeNull();
      expect(result.body.error.code).toBe("invalid_api_key");
    }
  });

  it("signs a team key in with an HttpOnly, SameSite=Strict cookie that holds a session id, not the token", async () => {
    const result = await signIn(a.key);
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ kind: "team", team: { id: a.teamId }, can_manage_keys: false });
    expect(result.setCookie).toMatch(/^console_session=[A-Za-z0-9_-]{43};/);
    expect(result.setCookie).toMatch(/HttpOnly/);
    expect(result.setCookie).toMatch(/SameSite=Strict/);
    expect(result.setCookie).toMatch(/Path=\//);
    expect(result.setCookie).not.toContain(a.key);
    expect(result.setCookie).not.toContain(a.key.slice(6, 20));
    const me = await consoleCall("/console/session", result.cookie);
    expect(await json(me)).toMatchObject({ kind: "team", team: { id: a.teamId } });
    // D1 keeps the hash of the session id only.
    const stored = await env.DB.prepare("select id from console_sessions").all<{ id: string }>();
    const sessionId = result.cookie!.split("=")[1];
    expect(stored.results.some((row) => row.id === sessionId)).toBe(false);
    expect(stored.results.every((row) => /^[0-9a-f]{64}$/.test(row.id))).toBe(true);
  });

  it("uses a Secure, __Host- prefixed cookie over https", async () => {
    const { default: worker } = await import("../src/index");
    const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
    const request = (init: RequestInit & { cookie?: string }) =>
      new Request("https://console.example/console/session", {
        ...init,
        headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", ...(init.cookie ? { cookie: init.cookie } : {}) },
      });
    const ctx = createExecutionContext();
    const response = await worker.fetch(request({ method: "POST", body: JSON.stringify({ token: ADMIN_TOKEN }) }), env, ctx);
    await waitOnExecutionContext(ctx);
    const setCookie = response.headers.get("set-cookie")!;
    expect(response.status).toBe(201);
    expect(setCookie).toMatch(/^__Host-console_session=/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).not.toMatch(/Domain=/i);
    const me = await worker.fetch(request({ method: "GET", cookie: setCookie.split(";")[0] }), env, createExecutionContext());
    expect(me.status).toBe(200);
    // The unprefixed name is not read over https.
    const plain = await worker.fetch(request({ method: "GET", cookie: setCookie.split(";")[0].replace("__Host-", "") }), env, createExecutionContext());
    expect(plain.status).toBe(401);
  });

  it("refuses a sign-in or any change that is not same-origin", async () => {
    for (const headers of [{}, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }] as Record<string, string>[]) {
      const result = await signIn(a.key, headers);
      expect(result.status).toBe(403);
      expect(result.setCookie).toBeNull();
      expect(result.body.error.code).toBe("cross_site_request");
    }
    const { cookie } = await signIn(a.key);
    const update = await call(`/console/api/teams/${a.teamId}/v1/chat/completions/${aIds[0]}`, {
      body: { metadata: { env: "hacked" } },
      headers: { cookie: cookie!, "sec-fetch-site": "cross-site", "content-type": "text/plain" },
    });
    expect(update.status).toBe(403);
    const detail = await json(await consoleCall(`/console/api/teams/${a.teamId}/completions/${aIds[0]}`, cookie));
    expect(detail.completion.metadata).toEqual({ env: "prod" });
  });

  it("answers 401 on every console endpoint without a session", async () => {
    for (const path of [
      "/console/session",
      "/console/api/usage?from=0&to=3600",
      `/console/api/teams/${a.teamId}/completions`,
      `/console/api/teams/${a.teamId}/completions/${aIds[0]}`,
      `/console/api/teams/${a.teamId}/export`,
      `/console/api/teams/${a.teamId}/responses`,
      `/console/api/teams/${a.teamId}/v1/chat/completions/${aIds[0]}`,
      "/console/api/admin/teams",
      "/console/api/v1/organization/usage/completions?start_time=0",
    ]) {
      for (const cookie of [null, "console_session=not-a-session"]) {
        const response = await consoleCall(path, cookie);
        expect(response.status, path).toBe(401);
        expect((await json(response)).error.code).toBe("console_session_required");
      }
    }
  });
});

describe("sign-out", () => {
  it("revokes the session: the old cookie then gets 401 on every console endpoint", async () => {
    const { cookie } = await signIn(a.key);
    expect((await consoleCall(`/console/api/teams/${a.teamId}/completions`, cookie)).status).toBe(200);
    const out = await consoleCall("/console/session", cookie, { method: "DELETE" });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/^console_session=;.*Max-Age=0/);
    for (const path of ["/console/session", `/console/api/teams/${a.teamId}/completions`, `/console/api/teams/${a.teamId}/export`, "/console/api/usage?from=0&to=3600"]) {
      expect((await consoleCall(path, cookie)).status, path).toBe(401);
    }
    expect((await consoleCall(`/console/api/teams/${a.teamId}/v1/chat/completions/${aIds[0]}`, cookie, { method: "DELETE" })).status).toBe(401);
  });

  it("ends a team's session when its key is revoked or deleted", async () => {
    for (const [method, suffix] of [["POST", "/revoke"], ["DELETE", ""]]) {
      const extra = await json(await call(`/admin/teams/${a.teamId}/keys`, { key: ADMIN_TOKEN, body: { name: "short-lived" } }));
      const { cookie } = await signIn(extra.key);
      expect((await consoleCall("/console/session", cookie)).status).toBe(200);
      expect((await call(`/admin/keys/${extra.id}${suffix}`, { key: ADMIN_TOKEN, method })).status).toBe(200);
      expect((await consoleCall("/console/session", cookie)).status, method).toBe(401);
      expect((await signIn(extra.key)).status, method).toBe(401);
    }
  });

  it("ends a team's sessions when the team is deleted", async () => {
    const doomed = await createTeamWithKey();
    const { cookie } = await signIn(doomed.key);
    expect((await consoleCall("/console/session", cookie)).status).toBe(200);
    expect((await call(`/admin/teams/${doomed.teamId}`, { key: ADMIN_TOKEN, method: "DELETE" })).status).toBe(200);
    expect((await consoleCall("/console/session", cookie)).status).toBe(401);
    expect((await consoleCall(`/console/api/teams/${doomed.teamId}/completions`, cookie)).status).toBe(401);
  });

  it("ends an admin session when ADMIN_TOKEN is rotated or removed", async () => {
    const { cookie } = await signIn(ADMIN_TOKEN);
    expect((await consoleCall("/console/session", cookie)).status).toBe(200);
    expect((await consoleCall("/console/session", cookie, { env: { ADMIN_TOKEN: "rotated-admin-token" } })).status).toBe(401);
    expect((await consoleCall("/console/api/admin/teams", cookie, { env: { ADMIN_TOKEN: "" } })).status).toBe(401);
    expect((await consoleCall("/console/session", cookie)).status).toBe(200);
  });
});

describe("stored completions", () => {
  it("lists the team's page with a preview, usage and upstream, newest first, without a total", async () => {
    const { cookie } = await signIn(a.key);
    const page = await json(await consoleCall(`/console/api/teams/${a.teamId}/completions`, cookie));
    expect(page.data.map((row: { id: string }) => row.id)).toEqual([...aIds].reverse());
    expect(page).not.toHaveProperty("total");
    expect(page.data[0]).toMatchObject({ model: "gpt-4o-mini", metadata: { env: "prod", flow: "tools" }, preview: "It is 18°C and sunny in Paris.", upstream: "default" });
    expect(page.data[0].usage).toMatchObject({ prompt_tokens: 1000 });
  });

  it("filters by model, metadata and date range, and pages with a cursor", async () => {
    const { cookie } = await signIn(a.key);
    const list = async (query: string) => (await json(await consoleCall(`/console/api/teams/${a.teamId}/completions?${query}`, cookie))).data.map((row: { id: string }) => row.id);
    expect(await list("model=gpt-4o")).toEqual([aIds[1]]);
    expect(await list("metadata%5Benv%5D=prod")).toEqual([aIds[2], aIds[0]]);
    expect(await list("metadata[env]=prod&metadata[flow]=tools")).toEqual([aIds[2]]);
    const now = Math.floor(Date.now() / 1000);
    expect(await list(`from=${now + 3600}`)).toEqual([]);
    expect(await list(`from=${now - 3600}&to=${now + 3600}`)).toHaveLength(3);
    expect(await list(`to=${now - 3600}`)).toEqual([]);
    const first = await json(await consoleCall(`/console/api/teams/${a.teamId}/completions?limit=2`, cookie));
    expect(first.has_more).toBe(true);
    expect(await list(`limit=2&after=${first.last_id}`)).toEqual([aIds[0]]);
    const bad = await consoleCall(`/console/api/teams/${a.teamId}/completions?limit=500`, cookie);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.param).toBe("limit");
    expect((await consoleCall(`/console/api/teams/${a.teamId}/completions?after=${bIds[0]}`, cookie)).status).toBe(400);
  });

  it("shows a detail: messages with tool calls and results, the answer, usage, cost and upstream", async () => {
    const { cookie } = await signIn(a.key);
    const detail = await json(await consoleCall(`/console/api/teams/${a.teamId}/completions/${aIds[2]}`, cookie));
    expect(detail.messages.map((m: { role: string }) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(detail.messages[2].tool_calls).toEqual([toolCall]);
    expect(detail.messages[3]).toMatchObject({ tool_call_id: "call_1", content: "18°C, sunny" });
    expect(detail.completion.choices[0].message.content).toBe("It is 18°C and sunny in Paris.");
    expect(detail.completion.usage.total_tokens).toBe(1200);
    expect(detail.upstream).toBe("default");
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
    expect(detail.cost.priced).toBe(true);
    expect(detail.cost.usd).toBeCloseTo((1000 * 0.15 + 200 * 0.6) / 1e6, 12);
  });

  it("edits metadata and deletes through the mounted chat completions routes", async () => {
    const [id] = await storeCompletions(a.key, [{ metadata: { keep: "no" } }]);
    const { cookie } = await signIn(a.key);
    const updated = await consoleCall(`/console/api/teams/${a.teamId}/v1/chat/completions/${id}`, cookie, { body: { metadata: { keep: "yes" } } });
    expect(updated.status).toBe(200);
    expect((await json(updated)).metadata).toEqual({ keep: "yes" });
    const listed = await json(await consoleCall(`/console/api/teams/${a.teamId}/completions?metadata[keep]=yes`, cookie));
    expect(listed.data.map((row: { id: string }) => row.id)).toEqual([id]);
    const deleted = await consoleCall(`/console/api/teams/${a.teamId}/v1/chat/completions/${id}`, cookie, { method: "DELETE" });
    expect(await json(deleted)).toMatchObject({ id, deleted: true });
    expect((await consoleCall(`/console/api/teams/${a.teamId}/completions/${id}`, cookie)).status).toBe(404);
    // The API sees the same.
    expect((await call(`/v1/chat/completions/${id}`, { key: a.key })).status).toBe(404);
  });

  it("exports the filtered list as JSONL, in the fine-tuning format and raw", async () => {
    const { cookie } = await signIn(a.key);
    const response = await consoleCall(`/console/api/teams/${a.teamId}/export?format=fine-tune&metadata[env]=prod`, cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename=".*\.jsonl"$/);
    const lines = (await text(response)).split("\n");
    expect(lines.pop()).toBe("");
    const rows = lines.map((line) => JSON.parse(line));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [toolCall] },
        { role: "tool", tool_call_id: "call_1", content: "18°C, sunny" },
        { role: "assistant", content: "It is 18°C and sunny in Paris." },
      ],
      tools,
    });
    expect(rows[1]).toEqual({ messages: [{ role: "user", content: "a question" }, { role: "assistant", content: "the answer" }] });

    const raw = (await text(await consoleCall(`/console/api/teams/${a.teamId}/export?format=raw`, cookie))).trim().split("\n").map((line) => JSON.parse(line));
    expect(raw.map((c) => c.id)).toEqual([...aIds].reverse());
    expect(raw[0]).toMatchObject({ object: "chat.completion", metadata: { env: "prod", flow: "tools" } });

    const bad = await consoleCall(`/console/api/teams/${a.teamId}/export?format=csv`, cookie);
    expect(bad.status).toBe(400);
  });

  it("exports more than one page, every row once", async () => {
    const team = await createTeamWithKey();
    const ids = await storeCompletions(team.key, Array.from({ length: 53 }, (_, i) => ({ metadata: { n: String(i) } })));
    const { cookie } = await signIn(team.key);
    const body = await text(await consoleCall(`/console/api/teams/${team.teamId}/export?format=raw`, cookie));
    const exported = body.trim().split("\n").map((line) => JSON.parse(line).id);
    expect(exported).toEqual([...ids].reverse());
  });

  it("lists the team's stored responses from the index, newest first, filtered and paged like completions", async () => {
    const { cookie } = await signIn(a.key);
    const list = async (query: string) => (await json(await consoleCall(`/console/api/teams/${a.teamId}/responses?${query}`, cookie))).data.map((row: { id: string }) => row.id);
    const [first, second, third] = aResponses;
    const page = await json(await consoleCall(`/console/api/teams/${a.teamId}/responses`, cookie));
    expect(page.data.map((row: { id: string }) => row.id)).toEqual([third, second, first]);
    expect(page.data[0]).toMatchObject({ model: "gpt-4o-mini", status: "completed", upstream: "default", previous_response_id: first });
    expect(await list("model=gpt-4o")).toEqual([second]);
    const now = Math.floor(Date.now() / 1000);
    expect(await list(`from=${now + 3600}`)).toEqual([]);
    expect(await list(`from=${now - 3600}&to=${now + 3600}`)).toEqual([third, second, first]);
    const firstPage = await json(await consoleCall(`/console/api/teams/${a.teamId}/responses?limit=2`, cookie));
    expect(firstPage.has_more).toBe(true);
    expect(await list(`limit=2&after=${firstPage.last_id}`)).toEqual([first]);
    const foreignCursor = await consoleCall(`/console/api/teams/${a.teamId}/responses?after=${bResponse}`, cookie);
    expect(foreignCursor.status).toBe(400);
    expect((await json(foreignCursor)).error.param).toBe("after");
    const byMetadata = await consoleCall(`/console/api/teams/${a.teamId}/responses?metadata[env]=prod`, cookie);
    expect(byMetadata.status).toBe(400);
    expect((await json(byMetadata)).error.param).toBe("metadata");
  });

  it("shows a stored response with its input items, output, usage, cost and upstream", async () => {
    const { cookie } = await signIn(a.key);
    const detail = await json(await consoleCall(`/console/api/teams/${a.teamId}/responses/${aResponses[2]}`, cookie));
    expect(detail.object).toBe("console.response");
    // The whole input it was made from: the previous response's input and output, then its own.
    expect(detail.input.map((item: any) => [item.role, item.content[0].text])).toEqual([
      ["user", "one"],
      ["assistant", "echo one"],
      ["user", "three"],
    ]);
    expect(detail.input_truncated).toBe(false);
    expect(detail.response.output[0].content[0].text).toBe("echo three");
    expect(detail.response.usage).toMatchObject({ input_tokens: 100, output_tokens: 10 });
    expect(detail.upstream).toBe("default");
    expect(detail.cost.priced).toBe(true);
    expect(detail.cost.usd).toBeCloseTo((100 * 0.15 + 10 * 0.6) / 1e6, 12);
    expect((await consoleCall(`/console/api/teams/${a.teamId}/responses/resp_nope`, cookie)).status).toBe(404);
  });
});

describe("team scoping", () => {
  it("never shows a team session another team's rows, whatever the URL says", async () => {
    const { cookie } = await signIn(a.key);
    for (const path of [
      `/console/api/teams/${b.teamId}/completions`,
      `/console/api/teams/${b.teamId}/completions/${bIds[0]}`,
      `/console/api/teams/${b.teamId}/export`,
      `/console/api/teams/${b.teamId}/responses`,
      `/console/api/teams/${b.teamId}/responses/${bResponse}`,
      `/console/api/teams/${b.teamId}/v1/chat/completions/${bIds[0]}`,
    ]) {
      const response = await consoleCall(path, cookie);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain(bIds[0]);
    }
    // B's completion through A's own path: not found, like any unknown id.
    expect((await consoleCall(`/console/api/teams/${a.teamId}/completions/${bIds[0]}`, cookie)).status).toBe(404);
    // B's response through A's own paths: not found, and not in A's list.
    const foreign = await consoleCall(`/console/api/teams/${a.teamId}/responses/${bResponse}`, cookie);
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).not.toContain("secret");
    expect(await (await consoleCall(`/console/api/teams/${a.teamId}/responses`, cookie)).text()).not.toContain(bResponse);
    expect((await consoleCall(`/console/api/teams/${a.teamId}/v1/chat/completions/${bIds[0]}`, cookie, { method: "DELETE" })).status).toBe(404);
    expect((await call(`/v1/chat/completions/${bIds[0]}`, { key: b.key })).status).toBe(200);
  });

  it("lets the admin read any team, and 404s a team that does not exist", async () => {
    const { cookie, body } = await signIn(ADMIN_TOKEN);
    expect(body.kind).toBe("admin");
    const bPage = await json(await consoleCall(`/console/api/teams/${b.teamId}/completions`, cookie));
    expect(bPage.data.map((row: { id: string }) => row.id)).toEqual(bIds);
    expect((await consoleCall("/console/api/teams/team_nope/completions", cookie)).status).toBe(404);
  });
});

describe("usage", () => {
  const hour = 3600 * Math.floor(Date.now() / 3600_000) - 7200;
  const event = (teamId: string, keyId: string, model: string, at: number, usd: number): UsageEvent => ({
    id: crypto.randomUUID(),
    teamId,
    keyId,
    kind: "completions",
    model,
    upstream: "default",
    startedAt: at,
    inputTokens: 100,
    cachedInputTokens: 0,
    outputTokens: 10,
    unknownUsage: false,
    priced: true,
    units: 0,
    size: "",
    inputCostNanoUsd: usdToNanos(usd),
    cachedInputCostNanoUsd: 0,
    outputCostNanoUsd: 0,
    unitsCostNanoUsd: 0,
  });

  beforeAll(async () => {
    await new UsageRepository(createDb(env.DB)).record([
      event(a.teamId, a.keyId, "gpt-4o-mini", hour + 10, 0.25),
      event(a.teamId, a.keyId, "gpt-4o", hour + 3700, 0.5),
      event(b.teamId, b.keyId, "gpt-4o-mini", hour + 20, 2),
    ]);
  });

  it("gives a team its own series per model, whatever team it names", async () => {
    const { cookie } = await signIn(a.key);
    for (const extra of ["", `&team=${b.teamId}`]) {
      const usage = await json(await consoleCall(`/console/api/usage?width=3600&from=${hour}&to=${hour + 7200}&group=model${extra}`, cookie));
      expect(usage.buckets).toEqual([hour, hour + 3600]);
      expect(usage.series).toEqual([
        { name: "gpt-4o", requests: [0, 1], input_tokens: [0, 100], output_tokens: [0, 10], cost_usd: [0, 0.5] },
        { name: "gpt-4o-mini", requests: [1, 0], input_tokens: [100, 0], output_tokens: [10, 0], cost_usd: [0.25, 0] },
      ]);
    }
  });

  it("gives the admin every team, stacked by team, or one team", async () => {
    const { cookie } = await signIn(ADMIN_TOKEN);
    const all = await json(await consoleCall(`/console/api/usage?width=3600&from=${hour}&to=${hour + 7200}&group=team`, cookie));
    const byTeam = Object.fromEntries(all.series.map((s: { name: string; cost_usd: number[] }) => [s.name, s.cost_usd]));
    expect(byTeam[a.teamId]).toEqual([0.25, 0.5]);
    expect(byTeam[b.teamId]).toEqual([2, 0]);
    const one = await json(await consoleCall(`/console/api/usage?width=86400&from=${hour}&to=${hour + 7200}&group=key&team=${b.teamId}`, cookie));
    expect(one.series.map((s: { name: string }) => s.name)).toEqual([b.keyId]);
  });

  it("refuses a range of too many buckets", async () => {
    const { cookie } = await signIn(a.key);
    const response = await consoleCall(`/console/api/usage?width=60&from=0&to=${3 * 86400}`, cookie);
    expect(response.status).toBe(400);
  });

  it("mounts OpenAI's usage API, scoped by the session", async () => {
    const { cookie } = await signIn(a.key);
    const page = await json(await consoleCall(`/console/api/v1/organization/usage/completions?start_time=${hour}&bucket_width=1h&limit=2&group_by=project_id&project_ids=${b.teamId}`, cookie));
    expect(page.data.flatMap((bucket: { results: unknown[] }) => bucket.results)).toEqual([]);
    const own = await json(await consoleCall(`/console/api/v1/organization/usage/completions?start_time=${hour}&bucket_width=1h&limit=2&group_by=project_id`, cookie));
    expect(own.data.flatMap((bucket: { results: { project_id: string }[] }) => bucket.results.map((r) => r.project_id))).toEqual([a.teamId, a.teamId]);
  });
});

describe("teams and keys", () => {
  it("lets the admin list teams and create a key, shown once", async () => {
    const { cookie } = await signIn(ADMIN_TOKEN);
    const teams = await json(await consoleCall("/console/api/admin/teams", cookie));
    expect(teams.data.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([a.teamId, b.teamId]));
    const created = await consoleCall(`/console/api/admin/teams/${b.teamId}/keys`, cookie, { body: { name: "from-console" } });
    expect(created.status).toBe(201);
    const key = await json(created);
    expect(key.key).toMatch(/^sk-gw-/);
    const listed = await json(await consoleCall(`/console/api/admin/teams/${b.teamId}/keys`, cookie));
    expect(JSON.stringify(listed)).not.toContain(key.key);
    expect(listed.data.some((k: { id: string; name: string }) => k.id === key.id && k.name === "from-console")).toBe(true);
    const renamed = await consoleCall(`/console/api/admin/keys/${key.id}`, cookie, { method: "PATCH", body: { name: "renamed", rpm_limit: 60 } });
    expect(await json(renamed)).toMatchObject({ name: "renamed", rpm_limit: 60 });
    expect((await consoleCall(`/console/api/admin/keys/${key.id}`, cookie, { method: "DELETE" })).status).toBe(200);
  });

  it("lets the admin revoke a key, which stays listed as revoked, and delete it, which takes it off the list", async () => {
    const { cookie } = await signIn(ADMIN_TOKEN);
    const key = await json(await consoleCall(`/console/api/admin/teams/${b.teamId}/keys`, cookie, { body: { name: "to-revoke" } }));
    const listedKey = async () => (await json(await consoleCall(`/console/api/admin/teams/${b.teamId}/keys`, cookie))).data.find((k: { id: string }) => k.id === key.id);
    // A cross-site request changes nothing.
    const crossSite = await consoleCall(`/console/api/admin/keys/${key.id}/revoke`, cookie, { method: "POST", headers: { "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    expect((await listedKey()).revoked_at).toBeNull();

    const revoked = await consoleCall(`/console/api/admin/keys/${key.id}/revoke`, cookie, { method: "POST" });
    expect(revoked.status).toBe(200);
    const body = await json(revoked);
    expect(body).toMatchObject({ id: key.id, object: "api_key", name: "to-revoke", revoked_at: expect.any(Number) });
    expect(await listedKey()).toMatchObject({ id: key.id, revoked_at: body.revoked_at });
    expect((await call("/v1/chat/completions", { key: key.key })).status).toBe(401);

    expect((await consoleCall(`/console/api/admin/keys/${key.id}`, cookie, { method: "DELETE" })).status).toBe(200);
    expect(await listedKey()).toBeUndefined();
    expect((await consoleCall(`/console/api/admin/keys/${key.id}/revoke`, cookie, { method: "POST" })).status).toBe(404);
  });

  it("lets a team session read its own team and keys only, read-only by default", async () => {
    const { cookie } = await signIn(a.key);
    expect((await consoleCall(`/console/api/admin/teams/${a.teamId}`, cookie)).status).toBe(200);
    const keys = await json(await consoleCall(`/console/api/admin/teams/${a.teamId}/keys`, cookie));
    expect(keys.data.every((k: { team_id: string }) => k.team_id === a.teamId)).toBe(true);
    for (const [method, path, body] of [
      ["GET", "/console/api/admin/teams", undefined],
      ["GET", `/console/api/admin/teams/${b.teamId}`, undefined],
      ["GET", `/console/api/admin/teams/${b.teamId}/keys`, undefined],
      ["POST", "/console/api/admin/teams", { name: "mine" }],
      ["PATCH", `/console/api/admin/teams/${a.teamId}`, { max_budget_usd: 1e6 }],
      ["DELETE", `/console/api/admin/teams/${b.teamId}`, undefined],
    ] as const) {
      const response = await consoleCall(path, cookie, { method, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await json(response)).error.code).toBe("admin_only");
    }
    const create = await consoleCall(`/console/api/admin/teams/${a.teamId}/keys`, cookie, { body: { name: "mine" } });
    expect(create.status).toBe(403);
    expect((await json(create)).error.code).toBe("team_keys_read_only");
    for (const [method, path] of [["PATCH", `/console/api/admin/keys/${a.keyId}`], ["POST", `/console/api/admin/keys/${a.keyId}/revoke`], ["DELETE", `/console/api/admin/keys/${a.keyId}`]] as const) {
      const response = await consoleCall(path, cookie, { method, body: method === "PATCH" ? { name: "x" } : undefined });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await json(response)).error.code).toBe("team_keys_read_only");
    }
    expect((await consoleCall("/console/session", cookie)).status).toBe(200);
  });

  it("lets a team session manage its own keys when CONSOLE_TEAM_KEYS=manage, and never another team's", async () => {
    const manage = { env: { CONSOLE_TEAM_KEYS: "manage" } };
    const { cookie } = await signIn(a.key);
    const me = await json(await consoleCall("/console/session", cookie, manage));
    expect(me.can_manage_keys).toBe(true);
    const created = await consoleCall(`/console/api/admin/teams/${a.teamId}/keys`, cookie, { ...manage, body: { name: "team-made" } });
    expect(created.status).toBe(201);
    const key = await json(created);
    expect(key.team_id).toBe(a.teamId);
    expect((await consoleCall(`/console/api/admin/keys/${key.id}`, cookie, { ...manage, method: "PATCH", body: { name: "team-renamed" } })).status).toBe(200);
    const revoked = await json(await consoleCall(`/console/api/admin/keys/${key.id}/revoke`, cookie, { ...manage, method: "POST" }));
    expect(revoked).toMatchObject({ id: key.id, name: "team-renamed", revoked_at: expect.any(Number) });
    const listed = await json(await consoleCall(`/console/api/admin/teams/${a.teamId}/keys`, cookie, manage));
    expect(listed.data.find((k: { id: string }) => k.id === key.id)?.revoked_at).toBe(revoked.revoked_at);
    // A revoked key of its own can still be deleted.
    expect((await consoleCall(`/console/api/admin/keys/${key.id}`, cookie, { ...manage, method: "DELETE" })).status).toBe(200);
    // Another team's key: as if it did not exist, and untouched.
    for (const [method, suffix] of [["PATCH", ""], ["POST", "/revoke"], ["DELETE", ""]] as const) {
      const response = await consoleCall(`/console/api/admin/keys/${b.keyId}${suffix}`, cookie, { ...manage, method, body: method === "PATCH" ? { name: "stolen" } : undefined });
      expect(response.status, `${method} ${suffix}`).toBe(404);
      expect((await json(response)).error.message).toBe(`No API key found with id '${b.keyId}'.`);
    }
    expect((await consoleCall(`/console/api/admin/teams/${b.teamId}/keys`, cookie, { ...manage, body: { name: "x" } })).status).toBe(403);
    expect((await json(await call("/v1/chat/completions", { key: b.key }))).data.map((c: { id: string }) => c.id)).toEqual(bIds);
  });
});

it("keeps console routes out of the OpenAPI document", async () => {
  const doc = await json(await call("/openapi.json"));
  expect(Object.keys(doc.paths).some((path) => path.startsWith("/console"))).toBe(false);
  expect(BASE).toBe("http://gw");
});
