import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { LATENCY_BOUNDS_MS, latencyBucket, latencyPercentile, UpstreamStatsRepository, type UpstreamOutcome } from "../src/db/upstream-stats";
import type { BackgroundMessage } from "../src/queue/messages";
import { consoleCall, signIn } from "./helpers/console";
import { ADMIN_TOKEN, call, createTeamWithKey, json } from "./helpers/gateway";
import { captureQueue, deliver } from "./helpers/usage";
import { completionFixture, jsonResponse, mockTwoUpstreams, twoUpstreamsEnv } from "./helpers/upstream";

// The Upstreams view's data: every request that reached an upstream leaves one outcome (answered or
// failed, fallen back, latency), carried to the queue with its usage event or alone, and rolled up.

const unavailable = () => jsonResponse({ error: { message: "overloaded", type: "server_error", param: null, code: null } }, 503);
const refused = () => jsonResponse({ error: { message: "bad", type: "invalid_request_error", param: null, code: null } }, 400);

describe("the latency histogram", () => {
  it("puts a latency in the first bucket whose bound holds it, the last bucket open-ended", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(25)).toBe(0);
    expect(latencyBucket(26)).toBe(1);
    expect(latencyBucket(LATENCY_BOUNDS_MS.at(-1)!)).toBe(LATENCY_BOUNDS_MS.length - 1);
    expect(latencyBucket(10 ** 9)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it("reads a percentile as the bound of the bucket that reaches it", () => {
    const histogram = Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, () => 0);
    expect(latencyPercentile(histogram, 0.5)).toBeNull();
    histogram[0] = 50; // ≤ 25 ms
    histogram[3] = 45; // ≤ 200 ms
    histogram[LATENCY_BOUNDS_MS.length] = 5; // beyond the last bound
    expect(latencyPercentile(histogram, 0.5)).toBe(25);
    expect(latencyPercentile(histogram, 0.95)).toBe(200);
    expect(latencyPercentile(histogram, 0.99)).toBeNull();
  });
});

describe("upstream outcomes through the proxy", () => {
  let team: { teamId: string; key: string; keyId: string };
  let other: { teamId: string; key: string; keyId: string };
  let messages: BackgroundMessage[];

  beforeAll(async () => {
    team = await createTeamWithKey();
    other = await createTeamWithKey();
    const captured = captureQueue();
    const bindings = { ...twoUpstreamsEnv(), ...captured.env, RETRY_ATTEMPTS: "1" };
    const chat = async (key: string, model: string) =>
      (await call("/v1/chat/completions", { key, env: bindings, body: { model, messages: [{ role: "user", content: "hi" }] } })).status;
    let upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(completionFixture()), beta: () => jsonResponse(completionFixture()) });
    expect(await chat(team.key, "gpt-4o-mini")).toBe(200); // alpha answers
    expect(await chat(team.key, "llama3.1")).toBe(200); // beta is llama's first choice: no fallback
    expect(await chat(other.key, "gpt-4o-mini")).toBe(200);
    upstreams.spy.mockRestore();
    upstreams = mockTwoUpstreams({ alpha: unavailable, beta: () => jsonResponse(completionFixture()) });
    expect(await chat(team.key, "shared-model")).toBe(200); // alpha 503, beta answers: a fallback
    upstreams.spy.mockRestore();
    upstreams = mockTwoUpstreams({ alpha: refused });
    expect(await chat(team.key, "gpt-4o-mini")).toBe(400); // alpha's error: no usage, a failed outcome
    upstreams.spy.mockRestore();
    messages = captured.messages;
  });

  it("sends one message per request: usage with its outcome, or the outcome of a failure alone", () => {
    expect(messages.map((m) => m.kind)).toEqual(["usage", "usage", "usage", "usage", "upstream.outcome"]);
    const outcomes = messages.map((m) => (m.kind === "usage" || m.kind === "upstream.outcome" ? m.outcome : undefined)) as UpstreamOutcome[];
    expect(outcomes.map((o) => [o.upstream, o.failed, o.fellBack])).toEqual([
      ["alpha", false, false],
      ["beta", false, false],
      ["alpha", false, false],
      ["beta", false, true],
      ["alpha", true, false],
    ]);
    // A success's outcome shares its usage event's id, so both are recognised on redelivery.
    for (const m of messages) if (m.kind === "usage") expect(m.outcome!.id).toBe(m.event.id);
  });

  it("rolls them up once, even when a delivery comes twice, and the console shows them per team", async () => {
    // Each message twice within the first delivery, then the whole delivery again: nothing is counted twice.
    const first = await deliver([...messages, ...messages]);
    expect(first.explicitAcks.length).toBe(2 * messages.length);
    await deliver(messages);
    const now = Math.floor(Date.now() / 1000);
    const range = `width=3600&from=${now - 3600}&to=${now + 3600}`;

    const admin = await signIn(ADMIN_TOKEN);
    const all = await json(await consoleCall(`/console/api/upstreams?${range}`, admin.cookie));
    const byName = Object.fromEntries(all.upstreams.map((u: { name: string; total: unknown }) => [u.name, u.total]));
    expect(byName.alpha).toMatchObject({ requests: 3, errors: 1, fallbacks: 0 });
    expect(byName.beta).toMatchObject({ requests: 2, errors: 0, fallbacks: 1 });
    expect(byName.alpha.p50_ms).toBeGreaterThan(0);
    expect(byName.alpha.p95_ms).toBeGreaterThanOrEqual(byName.alpha.p50_ms);
    const alpha = all.upstreams.find((u: { name: string }) => u.name === "alpha");
    expect(alpha.requests.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    expect(all.buckets).toHaveLength(alpha.requests.length);

    // A team session sees its own team's outcomes only, whatever `team` says.
    const own = await signIn(other.key);
    for (const extra of ["", `&team=${team.teamId}`]) {
      const mine = await json(await consoleCall(`/console/api/upstreams?${range}${extra}`, own.cookie));
      expect(mine.upstreams.map((u: { name: string; total: { requests: number } }) => [u.name, u.total.requests])).toEqual([["alpha", 1]]);
    }
    const oneTeam = await json(await consoleCall(`/console/api/upstreams?${range}&team=${other.teamId}`, admin.cookie));
    expect(oneTeam.upstreams.map((u: { name: string }) => u.name)).toEqual(["alpha"]);
    expect((await consoleCall(`/console/api/upstreams?${range}`, null)).status).toBe(401);
  });

  it("forgets outcome rows past redelivery and minute rollups past a week", async () => {
    const repo = new UpstreamStatsRepository(createDb(env.DB));
    const old = Math.floor(Date.now() / 1000) - 10 * 86400;
    await repo.record([{ id: crypto.randomUUID(), teamId: team.teamId, upstream: "alpha", startedAt: old, failed: false, fellBack: false, latencyMs: 10 }]);
    const count = async (sql: string) => (await env.DB.prepare(sql).bind(old).first<{ n: number }>())!.n;
    expect(await count("select count(*) as n from upstream_events where started_at = ?")).toBe(1);
    await repo.purgeExpired(Math.floor(Date.now() / 1000));
    expect(await count("select count(*) as n from upstream_events where started_at = ?")).toBe(0);
    expect(await count("select count(*) as n from upstream_rollups where width = 60 and bucket_start = ?")).toBe(0);
    expect(await count("select count(*) as n from upstream_rollups where width = 86400 and bucket_start <= ?")).toBe(1);
  });
});
