import { env, runInDurableObject } from "cloudflare:test";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nanosToUsd, usdToNanos } from "../src/lib/money";
import { TeamLimiter } from "../src/limits/team-limiter";
import { ADMIN_TOKEN, call, callLive, json, workerFetch } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { captureQueue, deliver } from "./helpers/usage";
import type { UsageEvent } from "../src/db/types";
import { restoreSpies, track } from "./helpers/spies";

afterEach(() => {
  vi.useRealTimers();
  restoreSpies();
});

const admin = { key: ADMIN_TOKEN };
let teams = 0;

async function team(limits: Record<string, unknown> = {}) {
  const created = await json(await call("/admin/teams", { ...admin, body: { name: `limited-${++teams}`, ...limits } }));
  if (!created.id) throw new Error(JSON.stringify(created));
  return created.id as string;
}
async function key(teamId: string, limits: Record<string, unknown> = {}) {
  const created = await json(await call(`/admin/teams/${teamId}/keys`, { ...admin, body: limits }));
  if (!created.key) throw new Error(JSON.stringify(created));
  return { key: created.key as string, id: created.id as string };
}

const ask = (apiKey: string, extra: Record<string, unknown> = {}, envOverride = {}) =>
  call("/v1/chat/completions", { key: apiKey, env: envOverride, body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...extra } });

/** The usage event of a request that cost `usd`, as the queue delivers it to D1. */
const spent = (teamId: string, keyId: string, usd: number): UsageEvent => ({
  id: crypto.randomUUID(),
  teamId,
  keyId,
  kind: "completions",
  model: "budget-model",
  upstream: "openai",
  startedAt: Math.floor(Date.now() / 1000),
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: usd,
  unknownUsage: false,
  priced: true,
  units: 0,
  size: "",
  inputCostNanoUsd: 0,
  cachedInputCostNanoUsd: 0,
  outputCostNanoUsd: usdToNanos(usd),
  unitsCostNanoUsd: 0,
});

const answer = (usage = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }) => () => jsonResponse(completionFixture({ usage }));

describe("budgets", () => {
  // One output token costs $1 and input is free, so a request with max_tokens 1 is estimated at
  // exactly what it costs: a $10 budget allows exactly 10 of them.
  const PRICES = JSON.stringify({ "budget-model": { input_per_mtok: 0, output_per_mtok: 1_000_000 } });

  it("lets through at most what the budget allows when 50 requests race for it", async () => {
    const teamId = await team({ max_budget_usd: 10, budget_period: "monthly" });
    const { key: apiKey } = await key(teamId);
    const upstream = mockUpstream(answer({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 }));
    const results = await Promise.all(
      Array.from({ length: 50 }, () => ask(apiKey, { model: "budget-model", max_tokens: 1 }, { PRICES, USAGE_COUNTING: "off" })),
    );
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429);
    // The bound: spend ≤ budget + (requests admitted before the budget ran out) × (real cost − estimate).
    // Here the estimate is exact, so the overshoot bound is 0 and exactly 10 go through.
    const overshootBoundUsd = 0;
    expect(ok * 1).toBeLessThanOrEqual(10 + overshootBoundUsd);
    expect(ok).toBe(10);
    expect(upstream.calls).toHaveLength(10);
    expect(refused).toHaveLength(40);
    const body = await json(refused[0]);
    expect(body.error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota", param: null });
    expect(body.error.message).toContain("budget");
    expect(refused[0].headers.get("x-should-retry")).toBe("false");

    // After the race, still refused: the spend was settled, not only reserved.
    const after = await ask(apiKey, { model: "budget-model", max_tokens: 1 }, { PRICES });
    expect(after.status).toBe(429);
    expect(after.headers.get("x-should-retry")).toBe("false");
  });

  it("bounds the overshoot by the requests in flight when the real cost exceeds the estimate", async () => {
    const teamId = await team({ max_budget_usd: 10 });
    const { key: apiKey } = await key(teamId);
    // Each request is estimated at $1 (max_tokens 1) but really costs $3.
    mockUpstream(answer({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 }));
    const results = await Promise.all(Array.from({ length: 50 }, () => ask(apiKey, { model: "budget-model", max_tokens: 1 }, { PRICES, USAGE_COUNTING: "off" })));
    const ok = results.filter((r) => r.status === 200).length;
    // At most the 10 admitted while the reservations still fitted: spend ≤ 10 × $3 = budget + 10 × ($3 − $1).
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(10);
    expect(ok * 3).toBeLessThanOrEqual(10 + 10 * (3 - 1));
    expect((await ask(apiKey, { model: "budget-model", max_tokens: 1 }, { PRICES })).status).toBe(429);
  });

  it("makes the official SDK send exactly one request for insufficient_quota", async () => {
    const teamId = await team({ max_budget_usd: 0 });
    const { key: apiKey } = await key(teamId);
    mockUpstream(answer());
    let requests = 0;
    const gateway = workerFetch({ PRICES });
    const client = new OpenAI({
      apiKey,
      baseURL: "http://gw/v1",
      maxRetries: 3,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        requests++;
        return gateway(input, init);
      }) as typeof fetch,
    });
    const error = await client.chat.completions.create({ model: "budget-model", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.code).toBe("insufficient_quota");
    expect(requests).toBe(1);
  });

  it("seeds a budget again two minutes after it is set, with what isolates still caching the key without it spent meanwhile", async () => {
    const teamId = await team();
    const { key: apiKey, id: keyId } = await key(teamId);
    mockUpstream(answer({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }));
    const captured = captureQueue();
    const patched = await call(`/admin/teams/${teamId}`, { ...admin, method: "PATCH", env: captured.env, body: { max_budget_usd: 5 } });
    expect(patched.status).toBe(200);
    expect(captured.messages).toEqual([{ kind: "limits.budget.seed", teamId }]);
    expect(captured.delays).toEqual([120]);
    // An isolate that still cached the key without the budget spent $5: its usage reached D1 only.
    const event = spent(teamId, keyId, 5);
    expect((await deliver([{ kind: "usage", event }])).explicitAcks).toHaveLength(1);
    expect((await ask(apiKey, { model: "budget-model", max_tokens: 0 }, { PRICES, USAGE_COUNTING: "off" })).status).toBe(200);
    // The second seeding brings the Durable Object up to D1's count: the budget is spent.
    const seeded = await deliver(captured.messages);
    expect(seeded.explicitAcks).toHaveLength(1);
    const refused = await ask(apiKey, { model: "budget-model", max_tokens: 0 }, { PRICES, USAGE_COUNTING: "off" });
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.code).toBe("insufficient_quota");
  });

  it("seeds a budget again after writing the usage delivered with it", async () => {
    const teamId = await team();
    const { key: apiKey, id: keyId } = await key(teamId);
    mockUpstream(answer({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }));
    const captured = captureQueue();
    await call(`/admin/teams/${teamId}`, { ...admin, method: "PATCH", env: captured.env, body: { max_budget_usd: 5 } });
    // The seed comes first in the delivery; the usage it must count comes after it.
    const delivered = await deliver([...captured.messages, { kind: "usage", event: spent(teamId, keyId, 5) }]);
    expect(delivered.explicitAcks).toHaveLength(2);
    expect((await ask(apiKey, { model: "budget-model", max_tokens: 0 }, { PRICES, USAGE_COUNTING: "off" })).status).toBe(429);
  });

  it("seeds a key's budget again too, in its team's Durable Object", async () => {
    const teamId = await team();
    const { key: apiKey, id: keyId } = await key(teamId);
    mockUpstream(answer({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }));
    const captured = captureQueue();
    expect((await call(`/admin/keys/${keyId}`, { ...admin, method: "PATCH", env: captured.env, body: { max_budget_usd: 2, budget_period: "daily" } })).status).toBe(200);
    expect(captured.messages).toEqual([{ kind: "limits.budget.seed", teamId, keyId }]);
    expect(captured.delays).toEqual([120]);
    const event = spent(teamId, keyId, 2);
    await deliver([{ kind: "usage", event }]);
    expect((await ask(apiKey, { model: "budget-model", max_tokens: 0 }, { PRICES, USAGE_COUNTING: "off" })).status).toBe(200);
    await deliver(captured.messages);
    expect((await ask(apiKey, { model: "budget-model", max_tokens: 0 }, { PRICES, USAGE_COUNTING: "off" })).status).toBe(429);
  });

  it("seeds nothing the second time for a budget removed, or a team deleted, since", async () => {
    const removed = await team();
    const deleted = await team();
    const captured = captureQueue();
    for (const id of [removed, deleted]) await call(`/admin/teams/${id}`, { ...admin, method: "PATCH", env: captured.env, body: { max_budget_usd: 5 } });
    await call(`/admin/teams/${removed}`, { ...admin, method: "PATCH", body: { max_budget_usd: null } });
    await call(`/admin/teams/${deleted}`, { ...admin, method: "DELETE" });
    // D1 has counted $5 for the team whose budget was removed: a second seeding would raise its spend.
    const event = spent(removed, "k", 5);
    await deliver([{ kind: "usage", event }]);
    const spendTables = (teamId: string) =>
      runInDurableObject(env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(teamId)), (_, state) => state.storage.sql.exec("SELECT * FROM spend").toArray());
    const before = await Promise.all([removed, deleted].map(spendTables));
    const seeded = await deliver(captured.messages.filter((m) => m.kind === "limits.budget.seed"));
    expect(seeded.explicitAcks).toHaveLength(2);
    expect(await Promise.all([removed, deleted].map(spendTables))).toEqual(before);
  });

  it("limits a key's budget for that key alone", async () => {
    const teamId = await team();
    const capped = await key(teamId, { max_budget_usd: 1, budget_period: "daily" });
    const free = await key(teamId);
    mockUpstream(answer({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }));
    expect((await ask(capped.key, { model: "budget-model", max_tokens: 1 }, { PRICES })).status).toBe(200);
    expect((await ask(capped.key, { model: "budget-model", max_tokens: 1 }, { PRICES })).status).toBe(429);
    expect((await ask(free.key, { model: "budget-model", max_tokens: 1 }, { PRICES })).status).toBe(200);
  });

  it("gives a budget refusal the x-ratelimit-* headers of a key that also has rate limits, and takes nothing from them", async () => {
    const teamId = await team();
    const capped = await key(teamId, { max_budget_usd: 0, rpm_limit: 5, tpm_limit: 1000 });
    mockUpstream(answer());
    const refused = await ask(capped.key, { model: "budget-model", max_tokens: 1 }, { PRICES });
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.code).toBe("insufficient_quota");
    expect(refused.headers.get("x-ratelimit-limit-requests")).toBe("5");
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("5");
    expect(refused.headers.get("x-ratelimit-limit-tokens")).toBe("1000");
    expect(refused.headers.get("x-ratelimit-remaining-tokens")).toBe("1000");
    expect(refused.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(\.\d+)?m?s$|^\d+m\d+s$/);
    expect(refused.headers.get("x-should-retry")).toBe("false");
  });
});

describe("rate limits", () => {
  it("answers 429 rate_limit_exceeded with retry-after and x-ratelimit-* headers, and lets requests through after the reset", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T10:00:10Z"));
    const teamId = await team();
    const limited = await key(teamId, { rpm_limit: 2 });
    mockUpstream(answer());

    const first = await ask(limited.key);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(first.headers.get("x-ratelimit-reset-requests")).toBe("50s");
    expect((await ask(limited.key)).headers.get("x-ratelimit-remaining-requests")).toBe("0");

    const refused = await ask(limited.key);
    expect(refused.status).toBe(429);
    const body = await json(refused);
    expect(body.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded", param: null });
    expect(refused.headers.get("retry-after")).toBe("50");
    expect(refused.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset-requests")).toBe("50s");

    vi.setSystemTime(new Date("2026-11-26T10:01:00Z"));
    const again = await ask(limited.key);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(again.headers.get("x-ratelimit-reset-requests")).toBe("1m0s");
  });

  it("lets the official SDK retry a 429 rate_limit_exceeded as it does against OpenAI", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T11:00:59Z"));
    const teamId = await team();
    const limited = await key(teamId, { rpm_limit: 1 });
    mockUpstream(answer());
    expect((await ask(limited.key)).status).toBe(200);
    let requests = 0;
    const gateway = workerFetch();
    const client = new OpenAI({
      apiKey: limited.key,
      baseURL: "http://gw/v1",
      maxRetries: 2,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        // The window resets while the SDK waits its retry-after (1 s).
        if (++requests === 2) vi.setSystemTime(new Date("2026-11-26T11:01:00Z"));
        return gateway(input, init);
      }) as typeof fetch,
    });
    const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(completion.object).toBe("chat.completion");
    expect(requests).toBe(2);
  });

  it("counts TPM from the reservation, then settles it with the real usage", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T12:00:00Z"));
    const teamId = await team({ tpm_limit: 1000 });
    const { key: apiKey } = await key(teamId);
    mockUpstream(answer({ prompt_tokens: 20, completion_tokens: 30, total_tokens: 50 }));
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 400 };
    const estimate = Math.ceil(JSON.stringify(body).length / 4) + 400;

    const first = await ask(apiKey, { max_tokens: 400 });
    expect(first.status).toBe(200);
    // The answer's headers show the reservation (the estimate), taken before forwarding.
    expect(first.headers.get("x-ratelimit-limit-tokens")).toBe("1000");
    expect(first.headers.get("x-ratelimit-remaining-tokens")).toBe(String(1000 - estimate));
    // Once settled, only the 50 real tokens count.
    const second = await ask(apiKey, { max_tokens: 400 });
    expect(second.headers.get("x-ratelimit-remaining-tokens")).toBe(String(1000 - 50 - estimate));
    // A request whose estimate does not fit is refused, with type tokens.
    const big = await ask(apiKey, { max_tokens: 900 });
    expect(big.status).toBe(429);
    expect((await json(big)).error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
    expect(big.headers.get("x-ratelimit-remaining-tokens")).toBe(String(1000 - 100));
  });

  it("reserves max_tokens for each of the n choices a request asks for", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T12:10:00Z"));
    const teamId = await team({ tpm_limit: 100_000 });
    const { key: apiKey } = await key(teamId);
    mockUpstream(answer());
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 400, n: 3 };
    const estimate = Math.ceil(JSON.stringify(body).length / 4) + 3 * 400;
    const res = await ask(apiKey, { max_tokens: 400, n: 3 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-remaining-tokens")).toBe(String(100_000 - estimate));
  });

  it("keeps a cut stream's reservation charged at its estimate, since its real usage is unknown", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T12:30:00Z"));
    const teamId = await team({ tpm_limit: 10_000 });
    const { key: apiKey } = await key(teamId);
    const { sseResponse, textStreamChunks } = await import("./helpers/upstream");
    const cutting = mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-cut", ["a", "b", "c"]), { breakAfter: 2 }));
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 500, stream: true };
    const estimate = Math.ceil(JSON.stringify(body).length / 4) + 500;
    // Not rewritten: the client's copy breaks off as the upstream did.
    const { response: cut, settled } = await callLive("/v1/chat/completions", { key: apiKey, body });
    await expect(cut.text()).rejects.toThrow();
    await settled();
    cutting.spy.mockRestore();
    mockUpstream(answer());
    const next = await ask(apiKey, { max_tokens: 500 });
    const nextEstimate = Math.ceil(JSON.stringify({ ...body, stream: undefined }).length / 4) + 500;
    expect(next.headers.get("x-ratelimit-remaining-tokens")).toBe(String(10_000 - estimate - nextEstimate));
  });

  it("enforces a key's limit for that key alone, and a team's limit for all its keys", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T13:00:00Z"));
    mockUpstream(answer());
    const teamId = await team({ rpm_limit: 3 });
    const a = await key(teamId, { rpm_limit: 1 });
    const b = await key(teamId);
    expect((await ask(a.key)).status).toBe(200);
    const aRefused = await ask(a.key);
    expect(aRefused.status).toBe(429);
    expect((await json(aRefused)).error.message).toContain("API key");
    expect((await ask(b.key)).status).toBe(200);
    expect((await ask(b.key)).status).toBe(200);
    const teamRefused = await ask(b.key);
    expect(teamRefused.status).toBe(429);
    expect((await json(teamRefused)).error.message).toContain("team");
    // Another team is not touched.
    const other = await key(await team({ rpm_limit: 1 }));
    expect((await ask(other.key)).status).toBe(200);
  });

  it("applies limits set with PATCH, and removes them with null", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T14:00:00Z"));
    mockUpstream(answer());
    const teamId = await team();
    const k = await key(teamId);
    const patched = await call(`/admin/keys/${k.id}`, { ...admin, method: "PATCH", body: { rpm_limit: 1 } });
    expect(patched.status).toBe(200);
    expect(await json(patched)).toMatchObject({ id: k.id, rpm_limit: 1, tpm_limit: null, max_budget_usd: null, budget_period: "monthly", spend_usd: 0 });
    expect((await ask(k.key)).status).toBe(200);
    expect((await ask(k.key)).status).toBe(429);
    await call(`/admin/keys/${k.id}`, { ...admin, method: "PATCH", body: { rpm_limit: null } });
    expect((await ask(k.key)).status).toBe(200);
    const team2 = await call(`/admin/teams/${teamId}`, { ...admin, method: "PATCH", body: { max_budget_usd: 5, budget_period: "daily", tpm_limit: 100000 } });
    expect(await json(team2)).toMatchObject({ id: teamId, max_budget_usd: 5, budget_period: "daily", tpm_limit: 100000, rpm_limit: null });
  });

  it.each([
    [{ rpm_limit: -1 }, "rpm_limit"],
    [{ tpm_limit: 1.5 }, "tpm_limit"],
    [{ max_budget_usd: -5 }, "max_budget_usd"],
    [{ budget_period: "weekly" }, "budget_period"],
  ])("answers 400 with param for %j", async (patch, param) => {
    const teamId = await team();
    const k = await key(teamId);
    for (const res of [
      await call(`/admin/teams/${teamId}`, { ...admin, method: "PATCH", body: patch }),
      await call(`/admin/keys/${k.id}`, { ...admin, method: "PATCH", body: patch }),
      await call("/admin/teams", { ...admin, body: { name: "x", ...patch } }),
      await call(`/admin/teams/${teamId}/keys`, { ...admin, body: patch }),
    ]) {
      expect(res.status).toBe(400);
      expect((await json(res)).error.param).toBe(param);
    }
  });
});

describe("the team's Durable Object", () => {
  it("is not called for a team and key without limits or budgets", async () => {
    const teamId = await team();
    const { key: apiKey } = await key(teamId);
    mockUpstream(answer());
    const get = vi.fn();
    const res = await ask(apiKey, {}, { TEAM_LIMITER: { idFromName: vi.fn(), get } });
    expect(res.status).toBe(200);
    expect(get).not.toHaveBeenCalled();
    expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
  });

  it("fails open by default and closed with LIMITS_FAIL_MODE=closed, logging either way", async () => {
    const teamId = await team({ rpm_limit: 100 });
    const { key: apiKey } = await key(teamId);
    mockUpstream(answer());
    const broken = {
      idFromName: () => ({}),
      get: () => ({
        admit: () => Promise.reject(new Error("Durable Object overloaded")),
      }),
    };
    const errors = track(vi.spyOn(console, "error")).mockImplementation(() => {});
    expect((await ask(apiKey, {}, { TEAM_LIMITER: broken })).status).toBe(200);
    const closed = await ask(apiKey, {}, { TEAM_LIMITER: broken, LIMITS_FAIL_MODE: "closed" });
    expect(closed.status).toBe(503);
    expect((await json(closed)).error.code).toBe("limits_unavailable");
    const logged = errors.mock.calls.map((args) => JSON.parse(String(args[0])));
    expect(logged.filter((l) => l.event === "limits_unavailable").map((l) => l.fail_mode)).toEqual(["open", "closed"]);
  });

  it("charges a reservation left open 15 minutes at its estimate, then its real cost when the request ends after all (a long stream)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-26T12:00:00Z"));
    const stub = env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(`late-settle-${crypto.randomUUID()}`));
    const team = { rpm: null, tpm: null, maxBudgetNanoUsd: usdToNanos(100), budgetPeriod: "monthly" as const };
    const reserve = async (usd: number) => {
      const result = await stub.admit({ keyId: "k", key: null, team, tokens: 1000, nanoUsd: usdToNanos(usd) });
      if (!result.admitted) throw new Error("not admitted");
      return result.reservationId;
    };
    const spend = () =>
      runInDurableObject(stub, (_, state) => nanosToUsd(state.storage.sql.exec<{ nano_usd: number }>("SELECT nano_usd FROM spend WHERE scope = 'team'").toArray()[0]?.nano_usd ?? 0));
    const long = await reserve(2);
    const cut = await reserve(3);
    const forgotten = await reserve(1);

    // The next request finds them stale: each is charged at its estimate.
    vi.setSystemTime(new Date("2026-11-26T12:16:00Z"));
    await reserve(0);
    expect(await spend()).toBe(6);
    // The long stream ends: its real cost replaces the estimate, once.
    await stub.settle(long, 400, usdToNanos(0.5));
    expect(await spend()).toBe(4.5);
    await stub.settle(long, 400, usdToNanos(0.5));
    expect(await spend()).toBe(4.5);
    // A stream cut before its usage keeps the estimate.
    await stub.settle(cut, null, null);
    expect(await spend()).toBe(4.5);
    // A day later the estimate is final.
    vi.setSystemTime(new Date("2026-11-27T12:30:00Z"));
    await reserve(0);
    await stub.settle(forgotten, 0, 0);
    expect(await spend()).toBe(4.5);
  });

  it("keeps its counters in SQLite storage", async () => {
    const teamId = await team({ rpm_limit: 10 });
    const { key: apiKey } = await key(teamId);
    mockUpstream(answer());
    await ask(apiKey);
    const stub = env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(teamId));
    const rows = await runInDurableObject(stub, (instance, state) => {
      expect(instance).toBeInstanceOf(TeamLimiter);
      return state.storage.sql.exec<{ scope: string; requests: number }>("SELECT scope, requests FROM windows").toArray();
    });
    expect(rows).toEqual([{ scope: "team", requests: 1 }]);
  });

  it("counts the usage of a limited key's request too", async () => {
    const captured = captureQueue();
    const teamId = await team({ rpm_limit: 10 });
    const { key: apiKey } = await key(teamId);
    mockUpstream(answer());
    expect((await ask(apiKey, {}, captured.env)).status).toBe(200);
    expect(captured.messages).toHaveLength(1);
  });
});
