import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import { buildUsageEvent } from "../src/usage/event";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { formatResetDuration, limitsOf, periodStart } from "../src/limits/limits";
import { priceRequest } from "../src/usage/pricing";
import { tokenUsageFrom } from "../src/usage/event";
import { createDb } from "../src/db/client";
import { purgeTeamRows } from "../src/db/bulk-delete";
import { clearTeamLimits } from "../src/limits/clear";
import { ADMIN_TOKEN, call, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { captureQueue, deliver } from "./helpers/usage";
import { restoreSpies } from "./helpers/spies";

afterEach(restoreSpies);

const base = { UPSTREAM_BASE_URL: "http://u/v1", ID_SECRET: "a-test-secret-of-some-length" };

describe("OpenAI's duration format", () => {
  it.each([
    [0, "0s"],
    [250, "250ms"],
    [1000, "1s"],
    [1001, "2s"],
    [59_000, "59s"],
    [60_000, "1m0s"],
    [360_000, "6m0s"],
    [3_723_000, "1h2m3s"],
  ])("%i ms is %s", (ms, text) => expect(formatResetDuration(ms)).toBe(text));
});

describe("budget periods", () => {
  const at = Date.parse("2026-11-26T10:30:00Z");
  it("reset at UTC day and month boundaries", () => {
    expect(periodStart("daily", at)).toBe(Date.parse("2026-11-26T00:00:00Z") / 1000);
    expect(periodStart("monthly", at)).toBe(Date.parse("2026-11-01T00:00:00Z") / 1000);
    expect(periodStart("total", at)).toBe(0);
  });
  it("a row without limits has none, so it makes no Durable Object call", () => {
    expect(limitsOf({ rpmLimit: null, tpmLimit: null, maxBudgetNanoUsd: null, budgetPeriod: "monthly" })).toBeNull();
    expect(limitsOf({ rpmLimit: 5, tpmLimit: null, maxBudgetNanoUsd: null, budgetPeriod: "daily" })).toEqual({ rpm: 5, tpm: null, maxBudgetNanoUsd: null, budgetPeriod: "daily" });
  });
});

describe("PRICES and costs", () => {
  it("parses PRICES, and cached input defaults to the input price", () => {
    const config = parseConfig({ ...base, PRICES: '{"m":{"input_per_mtok":2,"output_per_mtok":4}}' });
    expect(config.usage.prices).toEqual({ m: { input_per_mtok: 2, cached_input_per_mtok: 2, output_per_mtok: 4 } });
  });
  it.each([
    ["not json", "not valid JSON"],
    ['{"m":{"input_per_mtok":-1,"output_per_mtok":1}}', "at 'm.input_per_mtok'"],
    ['{"m":{"input_per_mtok":1}}', "at 'm.output_per_mtok'"],
    ['{"m":{"input_per_mtok":1,"output_per_mtok":1,"typo":1}}', "PRICES"],
    ["[1]", "PRICES"],
  ])("refuses PRICES=%s, naming the variable", (value, fragment) => {
    expect(() => parseConfig({ ...base, PRICES: value })).toThrow(/^PRICES /);
    expect(() => parseConfig({ ...base, PRICES: value })).toThrow(fragment);
  });
  it("refuses a bad LIMITS_FAIL_MODE and LIMITS_DEFAULT_OUTPUT_TOKENS", () => {
    expect(() => parseConfig({ ...base, LIMITS_FAIL_MODE: "maybe" })).toThrow(/^LIMITS_FAIL_MODE /);
    expect(() => parseConfig({ ...base, LIMITS_DEFAULT_OUTPUT_TOKENS: "-3" })).toThrow(/^LIMITS_DEFAULT_OUTPUT_TOKENS /);
  });
  it("answers 500 gateway_misconfigured for a bad PRICES, never a silent default", async () => {
    const { key } = await createKey();
    const res = await call("/v1/chat/completions", { key, env: { PRICES: "{bad" }, body: { model: "m", messages: [{ role: "user", content: "x" }] } });
    expect(res.status).toBe(500);
    expect((await json(res)).error.message).toContain("PRICES");
  });
  it("prices cached and uncached input apart, from PRICES first and the database second", () => {
    const prices = { m: { input_per_mtok: 1, cached_input_per_mtok: 0.1, output_per_mtok: 10 } };
    const costOf = (model: string, usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number }, overrides = {}) =>
      priceRequest("completions", model, usage, null, overrides);
    const cost = costOf("m", { inputTokens: 1_000_000, cachedInputTokens: 500_000, outputTokens: 100_000 }, prices);
    expect(cost.priced).toBe(true);
    // Exact, in nano-dollars: $0.50, $0.05 and $1.
    expect(cost.inputNanoUsd).toBe(500_000_000);
    expect(cost.cachedInputNanoUsd).toBe(50_000_000);
    expect(cost.outputNanoUsd).toBe(1_000_000_000);
    // gpt-4o from @pydantic/genai-prices: $2.50 in, $1.25 cached, $10 out per million.
    const db = costOf("gpt-4o", { inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 1_000_000 });
    expect(db.inputNanoUsd + db.outputNanoUsd).toBe(12_500_000_000);
    expect(costOf("no-such-model-xyz", { inputTokens: 5, cachedInputTokens: 0, outputTokens: 5 })).toMatchObject({ priced: false, inputNanoUsd: 0, cachedInputNanoUsd: 0, outputNanoUsd: 0 });
  });
  it("reads chat and Responses-style usage objects", () => {
    expect(tokenUsageFrom({ prompt_tokens: 3, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 1 } })).toEqual({ inputTokens: 3, cachedInputTokens: 1, outputTokens: 4 });
    expect(tokenUsageFrom({ input_tokens: 7, output_tokens: 2 })).toEqual({ inputTokens: 7, cachedInputTokens: 0, outputTokens: 2 });
    expect(tokenUsageFrom({ prompt_tokens: 9, total_tokens: 9 })).toEqual({ inputTokens: 9, cachedInputTokens: 0, outputTokens: 0 });
    expect(tokenUsageFrom(null)).toBeNull();
    expect(tokenUsageFrom({ total_tokens: 3 })).toBeNull();
  });
});

async function createKey(teamBody: Record<string, unknown> = {}) {
  const team = await json(await call("/admin/teams", { key: ADMIN_TOKEN, body: { name: "units", ...teamBody } }));
  const created = await json(await call(`/admin/teams/${team.id}/keys`, { key: ADMIN_TOKEN, body: {} }));
  return { teamId: team.id as string, key: created.key as string, keyId: created.id as string };
}

describe("spend, budgets set late, and team purge", () => {
  const PRICES = JSON.stringify({ "spend-model": { input_per_mtok: 0, output_per_mtok: 1_000_000 } });

  it("shows the period's spend on the team and key, and a budget set later counts what was already spent", async () => {
    const { teamId, key, keyId } = await createKey();
    const captured = captureQueue();
    mockUpstream(() => jsonResponse(completionFixture({ usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } })));
    const res = await call("/v1/chat/completions", { key, env: { ...captured.env, PRICES }, body: { model: "spend-model", messages: [{ role: "user", content: "x" }] } });
    expect(res.status).toBe(200);
    await deliver(captured.messages);
    expect((await json(await call(`/admin/teams/${teamId}`, { key: ADMIN_TOKEN }))).spend_usd).toBeCloseTo(3, 9);
    const keys = await json(await call(`/admin/teams/${teamId}/keys`, { key: ADMIN_TOKEN }));
    expect(keys.data.find((k: any) => k.id === keyId).spend_usd).toBeCloseTo(3, 9);

    // $3 is spent; a $3 budget set now leaves nothing, even though the Durable Object saw none of it.
    const patched = await json(await call(`/admin/teams/${teamId}`, { key: ADMIN_TOKEN, method: "PATCH", body: { max_budget_usd: 3 } }));
    expect(patched).toMatchObject({ max_budget_usd: 3, spend_usd: 3 });
    const refused = await call("/v1/chat/completions", { key, env: { PRICES }, body: { model: "spend-model", max_tokens: 1, messages: [{ role: "user", content: "x" }] } });
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.code).toBe("insufficient_quota");
  });

  it("puts the x-ratelimit-* headers on an upstream error answer to a limited key too", async () => {
    const { key } = await createKey({ rpm_limit: 100 });
    mockUpstream(() => jsonResponse({ error: { message: "nope", type: "invalid_request_error", param: null, code: null } }, 400));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "x" }] } });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("100");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("99");
  });

  it("a team purge removes the team's usage rows and its Durable Object state, and nothing of other teams", async () => {
    const a = await createKey({ rpm_limit: 10 });
    const b = await createKey();
    const captured = captureQueue();
    mockUpstream(() => jsonResponse(completionFixture()));
    for (const who of [a, b]) await call("/v1/chat/completions", { key: who.key, env: captured.env, body: { model: "m", messages: [{ role: "user", content: "x" }] } });
    await deliver(captured.messages);
    const count = async (teamId: string) =>
      (await env.DB.prepare("SELECT (SELECT count(*) FROM usage_rollups WHERE team_id = ?1) + (SELECT count(*) FROM usage_events WHERE team_id = ?1) AS n").bind(teamId).first<{ n: number }>())!.n;
    expect(await count(a.teamId)).toBe(4);
    await purgeTeamRows(createDb(env.DB), createDb(env.DB), a.teamId, null, 100);
    await clearTeamLimits(env, a.teamId);
    expect(await count(a.teamId)).toBe(0);
    expect(await count(b.teamId)).toBe(4);
    const { runInDurableObject } = await import("cloudflare:test");
    const windows = await runInDurableObject(env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(a.teamId)), async (_, state) => {
      return state.storage.sql.exec("SELECT count(*) AS n FROM windows").one().n;
    });
    expect(windows).toBe(0);
    // The object still answers afterwards (a key may live on in a cache for up to a minute).
    expect((await call("/v1/chat/completions", { key: a.key, env: captured.env, body: { model: "m", messages: [{ role: "user", content: "x" }] } })).status).toBe(200);
  });
});

describe("the cron", () => {
  it("forgets old event rows and minute rollups, and keeps hour and day rollups", async () => {
    const now = 1_960_000_000;
    const record = (startedAt: number) => ({
      kind: "usage" as const,
      event: buildUsageEvent(
        { teamId: "team_cron", keyId: "key_cron", endpoint: "/v1/chat/completions", upstream: "default", model: "m", status: 200, usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 }, requested: null, latencyMs: 1, startedAt: startedAt * 1000 },
        {},
      ),
    });
    await env.DB.prepare("INSERT OR IGNORE INTO teams (id, name, created_at) VALUES ('team_cron', 'cron', 0)").run();
    await env.DB.prepare("INSERT OR IGNORE INTO team_store (team_id, shard) VALUES ('team_cron', 0)").run();
    await deliver([record(now - 8 * 86_400), record(now - 60)]);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now * 1000, cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const rows = await env.DB.prepare("SELECT width, count(*) AS n FROM usage_rollups WHERE team_id = 'team_cron' GROUP BY width ORDER BY width").all<{ width: number; n: number }>();
    expect(rows.results).toEqual([
      { width: 60, n: 1 },
      { width: 3600, n: 2 },
      { width: 86400, n: 2 },
    ]);
    const events = await env.DB.prepare("SELECT started_at FROM usage_events WHERE team_id = 'team_cron'").all<{ started_at: number }>();
    expect(events.results).toEqual([{ started_at: now - 60 }]);
  });
});
