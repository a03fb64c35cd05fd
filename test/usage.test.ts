import { afterEach, describe, expect, it, vi } from "vitest";
import type { UsageMessage } from "../src/queue/messages";
import { buildUsageEvent } from "../src/usage/event";
import { ADMIN_TOKEN, call, callLive, createTeamWithKey, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream, readSse, sseResponse, textStreamChunks } from "./helpers/upstream";
import { captureQueue, deliver } from "./helpers/usage";
import { modelsEmbeddingsUsageErrors } from "./helpers/models-embeddings-usage-spec";
import type { RequestFinished } from "../src/usage/types";
import { restoreSpies, track } from "./helpers/spies";

afterEach(() => {
  restoreSpies();
});

const DAY = 86_400;
/** A fixed UTC day far from "now", so that no other test's requests fall in it. */
const day = (n: number) => 1_900_000_000 - (1_900_000_000 % DAY) + n * DAY;

async function usage(path: string, query: string, key = ADMIN_TOKEN) {
  const res = await call(`/v1/organization/${path}?${query}`, { key });
  const body = await json(res);
  return { res, body };
}

/** A RequestFinished record as the seam makes it, for endpoints this branch does not proxy itself. */
function finished(overrides: Partial<RequestFinished>): RequestFinished {
  return {
    teamId: "team_x",
    keyId: "key_x",
    endpoint: "/v1/chat/completions",
    upstream: "default",
    model: "gpt-4o-mini",
    status: 200,
    usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 },
    requested: null,
    latencyMs: 10,
    startedAt: day(0) * 1000,
    ...overrides,
  };
}
const message = (record: RequestFinished, prices = {}): UsageMessage => ({ kind: "usage", event: buildUsageEvent(record, prices) });

/** The completions totals of a team, whatever the buckets (today's usage, 1d buckets). */
async function todayTotals(teamId: string) {
  const start = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const { body } = await usage("usage/completions", `start_time=${start}&bucket_width=1d&limit=2&project_ids=${teamId}`);
  const results = body.data.flatMap((b: any) => b.results);
  const sum = (field: string) => results.reduce((total: number, r: any) => total + r[field], 0);
  return {
    requests: sum("num_model_requests"),
    input: sum("input_tokens"),
    cached: sum("input_cached_tokens"),
    output: sum("output_tokens"),
    withoutUsage: sum("num_model_requests_without_usage"),
  };
}

describe("usage counting through the proxy", () => {
  it("counts a non-streamed, unstored completion exactly, and passes its body through untouched", async () => {
    const { teamId, key } = await createTeamWithKey();
    const captured = captureQueue();
    const fixture = completionFixture({ usage: { prompt_tokens: 21, completion_tokens: 7, total_tokens: 28, prompt_tokens_details: { cached_tokens: 4 } } });
    mockUpstream(() => jsonResponse(fixture));
    const res = await call("/v1/chat/completions", { key, env: captured.env, body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] } });
    expect(await res.text()).toBe(JSON.stringify(fixture));
    expect(captured.messages).toHaveLength(1);
    await deliver(captured.messages);
    expect(await todayTotals(teamId)).toEqual({ requests: 1, input: 21, cached: 4, output: 7, withoutUsage: 0 });
  });

  it("counts a stored completion exactly", async () => {
    const { teamId, key } = await createTeamWithKey();
    const captured = captureQueue();
    mockUpstream(() => jsonResponse(completionFixture({ usage: { prompt_tokens: 30, completion_tokens: 2, total_tokens: 32 } })));
    const res = await call("/v1/chat/completions", { key, env: captured.env, body: { model: "gpt-4o-mini", store: true, messages: [{ role: "user", content: "hi" }] } });
    expect(res.status).toBe(200);
    await deliver(captured.messages);
    expect(await todayTotals(teamId)).toEqual({ requests: 1, input: 30, cached: 0, output: 2, withoutUsage: 0 });
  });

  it("asks a stream for its usage, passes the usage chunk on to a client that did not ask (the native path), and counts it", async () => {
    const { teamId, key } = await createTeamWithKey();
    const captured = captureQueue();
    const upstream = mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-s1", ["a", "b", "c"], { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 })));
    const { response, settled } = await callLive("/v1/chat/completions", {
      key,
      env: captured.env,
      body: { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] },
    });
    const events = await readSse(response);
    await settled();
    expect(upstream.calls[0].body.stream_options).toEqual({ include_usage: true });
    // The upstream's own body: its usage chunk included.
    expect(JSON.parse(events.at(-2)!.data)).toMatchObject({ id: "chatcmpl-s1", choices: [], usage: { prompt_tokens: 11, completion_tokens: 3 } });
    expect(events.at(-1)?.data).toBe("[DONE]");
    await deliver(captured.messages);
    expect(await todayTotals(teamId)).toEqual({ requests: 1, input: 11, cached: 0, output: 3, withoutUsage: 0 });
  });

  it("counts a stored stream, and keeps the usage chunk for a client that asked for it", async () => {
    const { teamId, key } = await createTeamWithKey();
    const captured = captureQueue();
    mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-s2", ["x", "y"], { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 })));
    const { response, settled } = await callLive("/v1/chat/completions", {
      key,
      env: captured.env,
      body: { model: "gpt-4o-mini", stream: true, store: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] },
    });
    const events = await readSse(response);
    await settled();
    expect(events.filter((e) => e.data.includes('"usage":{'))).toHaveLength(1);
    await deliver(captured.messages);
    expect(await todayTotals(teamId)).toEqual({ requests: 1, input: 8, cached: 0, output: 2, withoutUsage: 0 });
  });

  it("counts a stream cut before its usage chunk as one request with unknown tokens, flagged, never as zero usage", async () => {
    const { teamId, key } = await createTeamWithKey();
    const captured = captureQueue();
    mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-cut", ["a", "b", "c"]), { breakAfter: 2 }));
    const { response, settled } = await callLive("/v1/chat/completions", {
      key,
      env: captured.env,
      body: { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] },
    });
    // Not rewritten: the client's copy breaks off as the upstream did.
    await expect(response.text()).rejects.toThrow();
    await settled();
    expect(captured.messages).toHaveLength(1);
    expect((captured.messages[0] as UsageMessage).event.unknownUsage).toBe(true);
    await deliver(captured.messages);
    expect(await todayTotals(teamId)).toEqual({ requests: 1, input: 0, cached: 0, output: 0, withoutUsage: 1 });
  });

  it("does not count a request the upstream refused; it sends only that upstream's failed outcome", async () => {
    const captured = captureQueue();
    const { key, teamId } = await createTeamWithKey();
    mockUpstream(() => jsonResponse({ error: { message: "bad", type: "invalid_request_error", param: null, code: null } }, 400));
    const res = await call("/v1/chat/completions", { key, env: captured.env, body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] } });
    expect(res.status).toBe(400);
    expect(captured.messages.filter((m) => m.kind === "usage")).toEqual([]);
    expect(captured.messages).toEqual([{ kind: "upstream.outcome", outcome: expect.objectContaining({ teamId, upstream: "default", failed: true, fellBack: false }) }]);
  });

  it("sends nothing with USAGE_COUNTING=off, and passes the stream's body through unchanged", async () => {
    const captured = captureQueue();
    const { key } = await createTeamWithKey();
    const upstream = mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-off", ["a"])));
    const res = await call("/v1/chat/completions", {
      key,
      env: { ...captured.env, USAGE_COUNTING: "off" },
      body: { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] },
    });
    await res.text();
    expect(upstream.calls[0].body.stream_options).toBeUndefined();
    expect(captured.messages).toEqual([]);
  });
});

describe("the queue consumer", () => {
  it("counts an embeddings call under the embeddings API, not completions", async () => {
    const { teamId, keyId } = await createTeamWithKey();
    await deliver([message(finished({ teamId, keyId, endpoint: "/v1/embeddings", model: "text-embedding-3-small", usage: { inputTokens: 42, cachedInputTokens: 0, outputTokens: 0 } }))]);
    const { body } = await usage("usage/embeddings", `start_time=${day(0)}&end_time=${day(1)}&project_ids=${teamId}&group_by=model`);
    expect(modelsEmbeddingsUsageErrors("UsageResponse", body)).toEqual([]);
    expect(body.data).toEqual([
      {
        object: "bucket",
        start_time: day(0),
        end_time: day(1),
        results: [
          { object: "organization.usage.embeddings.result", input_tokens: 42, num_model_requests: 1, project_id: null, user_id: null, api_key_id: null, model: "text-embedding-3-small" },
        ],
      },
    ]);
    const completions = await usage("usage/completions", `start_time=${day(0)}&end_time=${day(1)}&project_ids=${teamId}`);
    expect(completions.body.data[0].results).toEqual([]);
  });

  it("leaves the totals unchanged when the same batch is delivered twice", async () => {
    const { teamId, keyId } = await createTeamWithKey();
    const batch = [1, 2, 3].map((i) => message(finished({ teamId, keyId, startedAt: (day(0) + i) * 1000, usage: { inputTokens: i, cachedInputTokens: 0, outputTokens: 10 * i } })));
    const first = await deliver(batch, ["a", "b", "c"]);
    expect(first.explicitAcks.sort()).toEqual(["a", "b", "c"]);
    const query = `start_time=${day(0)}&end_time=${day(1)}&project_ids=${teamId}`;
    const once = (await usage("usage/completions", query)).body;
    const again = await deliver(batch, ["a", "b", "c"]);
    expect(again.explicitAcks.sort()).toEqual(["a", "b", "c"]);
    expect(again.retryMessages).toEqual([]);
    const twice = (await usage("usage/completions", query)).body;
    expect(twice).toEqual(once);
    expect(twice.data[0].results[0]).toMatchObject({ num_model_requests: 3, input_tokens: 6, output_tokens: 60 });
    // Hourly and minute rollups are not doubled either.
    const hourly = (await usage("usage/completions", `start_time=${day(0)}&end_time=${day(0) + 3600}&bucket_width=1h&project_ids=${teamId}`)).body;
    expect(hourly.data[0].results[0]).toMatchObject({ num_model_requests: 3, input_tokens: 6, output_tokens: 60 });
  });

  it("retries a failed write with the store's backoff, so that a D1 outage does not spend all ten retries in a minute", async () => {
    const { recordUsageMessages } = await import("../src/usage/record-usage");
    const { env } = await import("cloudflare:test");
    const { teamId, keyId } = await createTeamWithKey();
    const spy = track(vi.spyOn(env.DB, "batch")).mockRejectedValueOnce(new Error("D1 is down"));
    const ack = vi.fn();
    const retry = vi.fn();
    const delivered = { id: "m", timestamp: new Date(), attempts: 3, body: message(finished({ teamId, keyId, startedAt: (day(0) + 7) * 1000 })), ack, retry };
    await recordUsageMessages(env, [delivered as unknown as Message<UsageMessage>]);
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 20 });
    expect(ack).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it("retries the whole delivery when D1 fails, and counts it once when it succeeds", async () => {
    const { teamId, keyId } = await createTeamWithKey();
    const batch = [message(finished({ teamId, keyId, startedAt: (day(0) + 5) * 1000 }))];
    const { env } = await import("cloudflare:test");
    const spy = track(vi.spyOn(env.DB, "batch")).mockRejectedValueOnce(new Error("D1 is down"));
    const failed = await deliver(batch, ["only"]);
    expect(failed.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["only"]);
    spy.mockRestore();
    await deliver(batch, ["only"]);
    const { body } = await usage("usage/completions", `start_time=${day(0)}&end_time=${day(1)}&project_ids=${teamId}`);
    expect(body.data[0].results[0].num_model_requests).toBe(1);
  });
});

describe("GET /v1/organization/usage/completions", () => {
  async function seedTwoTeams() {
    const a = await createTeamWithKey();
    const a2 = json(await call(`/admin/teams/${a.teamId}/keys`, { key: ADMIN_TOKEN, body: {} }));
    const b = await createTeamWithKey();
    const keyA2 = (await a2).id as string;
    const at = (seconds: number) => seconds * 1000;
    await deliver([
      message(finished({ teamId: a.teamId, keyId: a.keyId, model: "gpt-4o-mini", startedAt: at(day(2) + 10), usage: { inputTokens: 100, cachedInputTokens: 40, outputTokens: 10 } })),
      message(finished({ teamId: a.teamId, keyId: keyA2, model: "gpt-4o", startedAt: at(day(2) + 3600), usage: { inputTokens: 200, cachedInputTokens: 0, outputTokens: 20 } })),
      message(finished({ teamId: a.teamId, keyId: a.keyId, model: "gpt-4o", startedAt: at(day(3) - 1), usage: { inputTokens: 300, cachedInputTokens: 0, outputTokens: 30 } })),
      message(finished({ teamId: b.teamId, keyId: b.keyId, model: "gpt-4o", startedAt: at(day(2) + 20), usage: { inputTokens: 1000, cachedInputTokens: 0, outputTokens: 100 } })),
    ]);
    return { a, b, keyA2 };
  }

  it("answers OpenAI's page of buckets, valid against the spec, with the admin token over every team", async () => {
    const { a, b } = await seedTwoTeams();
    const { res, body } = await usage("usage/completions", `start_time=${day(2)}&end_time=${day(3)}&group_by=project_id&project_ids=${a.teamId}&project_ids=${b.teamId}`);
    expect(res.status).toBe(200);
    expect(modelsEmbeddingsUsageErrors("UsageResponse", body)).toEqual([]);
    expect(body).toMatchObject({ object: "page", has_more: false, next_page: null });
    expect(body.data).toHaveLength(1);
    const byTeam = Object.fromEntries(body.data[0].results.map((r: any) => [r.project_id, r]));
    expect(byTeam[a.teamId]).toMatchObject({ num_model_requests: 3, input_tokens: 600, input_cached_tokens: 40, input_uncached_tokens: 560, output_tokens: 60, api_key_id: null, model: null });
    expect(byTeam[b.teamId]).toMatchObject({ num_model_requests: 1, input_tokens: 1000, output_tokens: 100 });
  });

  it("groups by key and model and filters by key and model", async () => {
    const { a, keyA2 } = await seedTwoTeams();
    const q = `start_time=${day(2)}&end_time=${day(3)}&project_ids=${a.teamId}`;
    const grouped = (await usage("usage/completions", `${q}&group_by=api_key_id&group_by=model`)).body.data[0].results;
    const key = (r: any) => `${r.api_key_id}/${r.model}`;
    expect(Object.fromEntries(grouped.map((r: any) => [key(r), r.input_tokens]))).toEqual({
      [`${a.keyId}/gpt-4o-mini`]: 100,
      [`${a.keyId}/gpt-4o`]: 300,
      [`${keyA2}/gpt-4o`]: 200,
    });
    const byKey = (await usage("usage/completions", `${q}&api_key_ids[]=${keyA2}`)).body.data[0].results;
    expect(byKey).toHaveLength(1);
    expect(byKey[0]).toMatchObject({ input_tokens: 200, num_model_requests: 1, api_key_id: null });
    const byModel = (await usage("usage/completions", `${q}&models=gpt-4o`)).body.data[0].results;
    expect(byModel[0]).toMatchObject({ input_tokens: 500, num_model_requests: 2 });
  });

  it("puts requests in the right 1d, 1h and 1m buckets, edges included", async () => {
    const { a } = await seedTwoTeams();
    const q = `project_ids=${a.teamId}`;
    const days = (await usage("usage/completions", `${q}&start_time=${day(2)}&end_time=${day(4)}&bucket_width=1d`)).body;
    expect(days.data.map((b: any) => [b.start_time, b.end_time, b.results[0]?.num_model_requests ?? 0])).toEqual([
      [day(2), day(3), 3],
      [day(3), day(4), 0],
    ]);
    const hours = (await usage("usage/completions", `${q}&start_time=${day(2)}&end_time=${day(3)}&bucket_width=1h`)).body;
    expect(hours.data).toHaveLength(24);
    expect(hours.data.map((b: any) => b.results[0]?.num_model_requests ?? 0)).toEqual([1, 1, ...Array(21).fill(0), 1]);
    const minutes = (await usage("usage/completions", `${q}&start_time=${day(3) - 120}&end_time=${day(3)}&bucket_width=1m`)).body;
    expect(minutes.data.map((b: any) => [b.start_time, b.results[0]?.input_tokens ?? 0])).toEqual([
      [day(3) - 120, 0],
      [day(3) - 60, 300],
    ]);
    // A start inside a bucket is aligned down to it (UTC).
    const aligned = (await usage("usage/completions", `${q}&start_time=${day(2) + 1800}&end_time=${day(2) + 3600}&bucket_width=1h`)).body;
    expect(aligned.data.map((b: any) => b.start_time)).toEqual([day(2)]);
  });

  it("pages with limit and next_page", async () => {
    const { a } = await seedTwoTeams();
    const q = `project_ids=${a.teamId}&start_time=${day(2)}&end_time=${day(3)}&bucket_width=1h&limit=2`;
    const first = (await usage("usage/completions", q)).body;
    expect(first.data.map((b: any) => b.start_time)).toEqual([day(2), day(2) + 3600]);
    expect(first.has_more).toBe(true);
    const second = (await usage("usage/completions", `${q}&page=${first.next_page}`)).body;
    expect(second.data.map((b: any) => b.start_time)).toEqual([day(2) + 7200, day(2) + 10800]);
    const lastPage = (await usage("usage/completions", `project_ids=${a.teamId}&start_time=${day(2)}&end_time=${day(2) + 7200}&bucket_width=1h&limit=2`)).body;
    expect(lastPage).toMatchObject({ has_more: false, next_page: null });
    // Defaults: 7 daily buckets.
    const defaults = (await usage("usage/completions", `project_ids=${a.teamId}&start_time=${day(-10)}&end_time=${day(10)}`)).body;
    expect(defaults.data).toHaveLength(7);
    expect(defaults.has_more).toBe(true);
  });

  it("shows a team key its own team only; another team's project_ids give empty results", async () => {
    const { a, b } = await seedTwoTeams();
    const q = `start_time=${day(2)}&end_time=${day(3)}`;
    const own = (await usage("usage/completions", `${q}&group_by=project_id`, a.key)).body;
    expect(own.data[0].results.map((r: any) => r.project_id)).toEqual([a.teamId]);
    const other = (await usage("usage/completions", `${q}&project_ids=${b.teamId}`, a.key)).body;
    expect(modelsEmbeddingsUsageErrors("UsageResponse", other)).toEqual([]);
    expect(other.data[0].results).toEqual([]);
    const otherKey = (await usage("usage/completions", `${q}&api_key_ids=${b.keyId}`, a.key)).body;
    expect(otherKey.data[0].results).toEqual([]);
    const costs = (await usage("costs", `${q}&project_ids=${b.teamId}`, a.key)).body;
    expect(costs.data[0].results).toEqual([]);
    expect((await call(`/v1/organization/usage/completions?${q}`, { key: "sk-gw-" + "x".repeat(43) })).status).toBe(401);
    expect((await call(`/v1/organization/usage/completions?${q}`)).status).toBe(401);
  });

  it("with no ADMIN_TOKEN configured, answers a token that is not a team key with a 401 that says the admin token is not configured", async () => {
    const { key } = await createTeamWithKey();
    const q = `start_time=${day(2)}&end_time=${day(3)}`;
    const noAdmin = { ADMIN_TOKEN: undefined };
    for (const path of ["usage/completions", "costs"]) {
      for (const token of [ADMIN_TOKEN, "sk-gw-" + "x".repeat(43), undefined]) {
        const res = await call(`/v1/organization/${path}?${q}`, { key: token, env: noAdmin });
        expect(res.status, `${path} ${token}`).toBe(401);
        const body = await json(res);
        expect(body.error.code).toBe("invalid_api_key");
        expect(body.error.message).toMatch(/^The admin token is not configured \(no ADMIN_TOKEN is set\)/);
      }
      // A team key still reads its own team.
      expect((await call(`/v1/organization/${path}?${q}`, { key, env: noAdmin })).status).toBe(200);
    }
    // With the admin token configured, a wrong key is only that.
    const wrong = await json(await call(`/v1/organization/usage/completions?${q}`, { key: "sk-gw-" + "x".repeat(43) }));
    expect(wrong.error.message).toMatch(/^Incorrect API key provided/);
  });

  it.each([
    ["start_time=abc", "start_time"],
    ["end_time=100", "start_time"],
    [`start_time=${day(3)}&end_time=${day(2)}`, "end_time"],
    [`start_time=${day(2)}&bucket_width=1w`, "bucket_width"],
    [`start_time=${day(2)}&bucket_width=1m&limit=1441`, "limit"],
    [`start_time=${day(2)}&bucket_width=1h&limit=169`, "limit"],
    [`start_time=${day(2)}&bucket_width=1d&limit=32`, "limit"],
    [`start_time=${day(2)}&limit=0`, "limit"],
    [`start_time=${day(2)}&group_by=line_item`, "group_by"],
    [`start_time=${day(2)}&page=garbage`, "page"],
  ])("answers 400 with param for %s", async (query, param) => {
    const { res, body } = await usage("usage/completions", query);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: "invalid_request_error", param });
  });
});

describe("GET /v1/organization/costs", () => {
  it("prices from the price database and PRICES, and lists a model without a price as unpriced", async () => {
    const { teamId, keyId } = await createTeamWithKey();
    const prices = { "my-model": { input_per_mtok: 0.5, cached_input_per_mtok: 0.25, output_per_mtok: 1.5 } };
    const usage1M = { inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 2_000_000 };
    await deliver([
      message(finished({ teamId, keyId, model: "my-model", startedAt: day(5) * 1000, usage: usage1M }), prices),
      message(finished({ teamId, keyId, model: "gpt-4o-mini", startedAt: day(5) * 1000, usage: { inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 0 } }), prices),
      message(finished({ teamId, keyId, model: "homegrown-llm", startedAt: day(5) * 1000 }), prices),
    ]);
    const q = `start_time=${day(5)}&end_time=${day(6)}&project_ids=${teamId}`;
    const total = await usage("costs", q);
    expect(total.res.status).toBe(200);
    expect(modelsEmbeddingsUsageErrors("UsageResponse", total.body)).toEqual([]);
    expect(total.res.headers.get("x-gateway-unpriced-models")).toBe("homegrown-llm");
    const [result] = total.body.data[0].results;
    // my-model: 0.6 M × 0.5 + 0.4 M × 0.25 + 2 M × 1.5 = 3.4; gpt-4o-mini: 1 M input at the database's $0.15.
    expect(result.amount.currency).toBe("usd");
    expect(result.amount.value).toBeCloseTo(3.4 + 0.15, 9);

    const items = (await usage("costs", `${q}&group_by=line_item`)).body.data[0].results;
    const byItem = Object.fromEntries(items.map((r: any) => [r.line_item, [r.amount.value, r.quantity]]));
    expect(byItem["my-model, input"][0]).toBeCloseTo(0.3, 9);
    expect(byItem["my-model, input"][1]).toBe(600_000);
    expect(byItem["my-model, cached input"][0]).toBeCloseTo(0.1, 9);
    expect(byItem["my-model, output"][0]).toBeCloseTo(3, 9);
    expect(byItem["homegrown-llm, unpriced"]).toEqual([0, 15]);
    for (const item of items) expect(modelsEmbeddingsUsageErrors("CostsResult", item)).toEqual([]);
  });

  it("takes only 1d buckets and up to 180 of them", async () => {
    expect((await usage("costs", `start_time=${day(0)}&bucket_width=1h`)).body.error.param).toBe("bucket_width");
    expect((await usage("costs", `start_time=${day(0)}&limit=181`)).body.error.param).toBe("limit");
    expect((await usage("costs", `start_time=${day(0)}&end_time=${day(200)}&limit=180`)).body.data).toHaveLength(180);
  });
});
