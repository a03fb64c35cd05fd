import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { backoffDelayMs, retryAfterMs } from "../src/proxy/retry";
import { call, callLive, createTeamWithKey, json } from "./helpers/gateway";
import { chunk, completionFixture, jsonResponse, mockTwoUpstreams, sseResponse, twoUpstreamsEnv } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";
import { storedTrace } from "./helpers/store";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(() => {
  vi.useRealTimers();
  restoreSpies();
});

const messages = [{ role: "user", content: "hi" }];
const chat = (model: string, env = twoUpstreamsEnv(), extra: Record<string, unknown> = {}) =>
  call("/v1/chat/completions", { key, body: { model, messages, ...extra }, env });
// Real time, for waiting on I/O while the clock is faked (vi.waitFor would move the fake clock).
const realSetTimeout = globalThis.setTimeout;
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((resolve) => realSetTimeout(resolve, 1));
  if (!condition()) throw new Error("condition not met");
}

const unavailable = () => jsonResponse({ error: { message: "overloaded", type: "server_error", param: null, code: null } }, 503);

describe("routing by model pattern", () => {
  it("sends each model to the first upstream whose patterns take it, with that upstream's key", async () => {
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(completionFixture()), beta: () => jsonResponse(completionFixture()) });
    const a = await chat("gpt-4o-mini");
    const b = await chat("llama3.1");
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(upstreams.calls.map((c) => [c.host, c.url, c.headers.get("authorization")])).toEqual([
      ["alpha", "http://alpha.upstream.test/v1/chat/completions", "Bearer sk-alpha-secret"],
      ["beta", "http://beta.upstream.test/v1/chat/completions", "Bearer sk-beta-secret"],
    ]);
    expect([a.headers.get("x-gateway-upstream"), a.headers.get("x-gateway-attempts")]).toEqual(["alpha", "1"]);
    expect([b.headers.get("x-gateway-upstream"), b.headers.get("x-gateway-attempts")]).toEqual(["beta", "1"]);
    for (const c of upstreams.calls) expect(JSON.stringify([...c.headers])).not.toContain(key);
  });

  it("renames the model for an upstream with model_map, and only for it", async () => {
    const upstreams = mockTwoUpstreams({ beta: () => jsonResponse(completionFixture()) });
    await chat("llama3", twoUpstreamsEnv(), { temperature: 0.5 });
    await chat("llama3.1");
    expect(upstreams.calls.map((c) => c.body.model)).toEqual(["meta-llama/Llama-3-8B", "llama3.1"]);
    expect(upstreams.calls[0].body).toEqual({ model: "meta-llama/Llama-3-8B", messages, temperature: 0.5 });
  });

  it("answers 404 model_not_found, as OpenAI does, for a model no upstream takes, and calls none", async () => {
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(completionFixture()) });
    const res = await chat("claude-3-opus");
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({
      error: { message: "The model `claude-3-opus` does not exist or you do not have access to it.", type: "invalid_request_error", param: "model", code: "model_not_found" },
    });
    expect(upstreams.calls).toHaveLength(0);
  });

  it("keeps the one catch-all upstream of UPSTREAM_BASE_URL without UPSTREAMS", async () => {
    const spy = track(vi.spyOn(globalThis, "fetch")).mockImplementation(async () => jsonResponse(completionFixture()));
    const res = await call("/v1/chat/completions", { key, body: { model: "anything-at-all", messages } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-upstream")).toBe("default");
    expect(new Request(spy.mock.calls[0][0] as RequestInfo).url).toBe("http://upstream.test/v1/chat/completions");
  });
});

describe("retries and fallback", () => {
  it("retries the same upstream on 503, then falls back to the next that takes the model", async () => {
    const upstreams = mockTwoUpstreams({ alpha: unavailable, beta: () => jsonResponse(completionFixture({ id: "chatcmpl-from-beta" })) });
    const res = await chat("shared-model");
    expect(res.status).toBe(200);
    expect((await json(res)).id).toBe("chatcmpl-from-beta");
    expect(upstreams.calls.map((c) => c.host)).toEqual(["alpha", "alpha", "beta"]);
    expect([res.headers.get("x-gateway-upstream"), res.headers.get("x-gateway-attempts")]).toEqual(["beta", "3"]);
  });

  it("stores a completion with the name of the upstream that answered it, after a fallback", async () => {
    mockTwoUpstreams({ alpha: unavailable, beta: () => jsonResponse(completionFixture({ id: "chatcmpl-beta-stored" })) });
    const res = await chat("shared-model", twoUpstreamsEnv({ extra: { RETRY_ATTEMPTS: "1" } }), { store: true });
    const { id } = await json(res);
    const row = await storedTrace(id);
    expect(row).toEqual({ upstream_id: "chatcmpl-beta-stored", upstream: "beta" });
  });

  it("falls back on a connection error", async () => {
    const upstreams = mockTwoUpstreams({
      alpha: () => {
        throw new TypeError("Network connection lost.");
      },
      beta: () => jsonResponse(completionFixture()),
    });
    const res = await chat("shared-model", twoUpstreamsEnv({ extra: { RETRY_ATTEMPTS: "1" } }));
    expect(res.status).toBe(200);
    expect(upstreams.calls.map((c) => c.host)).toEqual(["alpha", "beta"]);
    expect(res.headers.get("x-gateway-attempts")).toBe("2");
  });

  it("retries each retryable status, and none of 400, 401, 403, 404, 422", async () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ error: { message: "x", type: "t", param: null, code: null } }, status) });
      const res = await chat("gpt-4o", twoUpstreamsEnv({ extra: { RETRY_ATTEMPTS: "2" } }), {});
      expect([status, res.status, upstreams.calls.length]).toEqual([status, status, 2]);
      upstreams.spy.mockRestore();
    }
    for (const status of [400, 401, 403, 404, 422]) {
      const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ error: { message: "bad", type: "invalid_request_error", param: null, code: null } }, status) });
      const res = await chat("shared-model");
      expect([status, res.status, upstreams.calls.length, res.headers.get("x-gateway-attempts")]).toEqual([status, status, 1, "1"]);
      expect((await json(res)).error.message).toBe("bad");
      upstreams.spy.mockRestore();
    }
  });

  it("passes the last upstream's error through, with its status, body and retry-after, when every attempt fails", async () => {
    const upstreams = mockTwoUpstreams({
      alpha: unavailable,
      beta: () => jsonResponse({ error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" } }, 429, { "retry-after": "7" }),
    });
    const res = await chat("shared-model", twoUpstreamsEnv({ extra: { RETRY_ATTEMPTS: "1" } }));
    expect(upstreams.calls.map((c) => c.host)).toEqual(["alpha", "beta"]);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect((await json(res)).error).toEqual({ message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" });
    expect([res.headers.get("x-gateway-upstream"), res.headers.get("x-gateway-attempts")]).toEqual(["beta", "2"]);
  });

  it("answers 502 with the gateway headers when no upstream can be reached", async () => {
    const upstreams = mockTwoUpstreams({});
    const res = await chat("shared-model", twoUpstreamsEnv({ extra: { RETRY_ATTEMPTS: "1" } }));
    expect(res.status).toBe(502);
    expect((await json(res)).error.code).toBe("upstream_unreachable");
    expect(upstreams.calls.map((c) => c.host)).toEqual(["alpha", "beta"]);
    expect([res.headers.get("x-gateway-upstream"), res.headers.get("x-gateway-attempts")]).toEqual(["beta", "2"]);
  });

  // retry-after 2 s is waited out exactly; 120 s is cut to the 4 s cap.
  for (const [status, retryAfter, waitMs] of [
    [429, "2", 2_000],
    [503, "120", 4_000],
  ] as const) {
    it(`waits what retry-after asks (${retryAfter} s), up to the 4 s cap, before trying the same upstream again`, async () => {
      await chat("no-such-model"); // the key is cached before the clock is faked
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      let n = 0;
      const upstreams = mockTwoUpstreams({
        alpha: () => (++n === 1 ? jsonResponse({ error: { message: "later", type: "requests", param: null, code: null } }, status, { "retry-after": retryAfter }) : jsonResponse(completionFixture())),
      });
      const pending = chat("gpt-4o");
      await until(() => upstreams.calls.length === 1);
      await vi.advanceTimersByTimeAsync(waitMs - 1);
      expect(upstreams.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await until(() => upstreams.calls.length === 2);
      const res = await pending;
      expect([res.status, res.headers.get("x-gateway-attempts")]).toEqual([200, "2"]);
    });
  }

  it("keeps every attempt within UPSTREAM_TIMEOUT_MS: no retry whose wait would pass it", async () => {
    await chat("no-such-model"); // the key is cached before the clock is faked
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ error: { message: "busy", type: "server_error", param: null, code: null } }, 503, { "retry-after": "1" }) });
    let res: Response | undefined;
    void chat("gpt-4o", twoUpstreamsEnv({ extra: { UPSTREAM_TIMEOUT_MS: "500", RETRY_ATTEMPTS: "5" } })).then((answer) => (res = answer));
    // The clock stands still: an answer that waited for the 1 s retry would never come.
    await until(() => res !== undefined);
    expect([res!.status, res!.headers.get("x-gateway-attempts")]).toEqual([503, "1"]);
    expect(upstreams.calls).toHaveLength(1);
  });

  it("falls back at once when the wait for the same upstream would pass UPSTREAM_TIMEOUT_MS", async () => {
    const upstreams = mockTwoUpstreams({
      alpha: () => jsonResponse({ error: { message: "busy", type: "server_error", param: null, code: null } }, 503, { "retry-after": "1" }),
      beta: () => jsonResponse(completionFixture()),
    });
    const res = await chat("shared-model", twoUpstreamsEnv({ extra: { UPSTREAM_TIMEOUT_MS: "500" } }));
    expect([res.status, res.headers.get("x-gateway-upstream"), res.headers.get("x-gateway-attempts")]).toEqual([200, "beta", "2"]);
    expect(upstreams.calls.map((c) => c.host)).toEqual(["alpha", "beta"]);
  });

  it("never retries once a stream's first byte has gone to the client", async () => {
    const upstreams = mockTwoUpstreams({
      alpha: () => sseResponse([chunk("chatcmpl-cut", { content: "Hel" }), chunk("chatcmpl-cut", { content: "lo" })], { breakAfter: 1 }),
      beta: () => sseResponse([chunk("chatcmpl-beta", { content: "never" })]),
    });
    const { response, settled } = await callLive("/v1/chat/completions", { key, body: { model: "shared-model", messages, stream: true }, env: twoUpstreamsEnv() });
    expect(response.status).toBe(200);
    // Not rewritten: the client's answer breaks off as the upstream's did; nothing is tried again.
    await expect(response.text()).rejects.toThrow();
    await settled();
    expect(upstreams.calls.map((c) => c.host)).toEqual(["alpha"]);
  });
});

describe("backoff", () => {
  it("is exponential with full jitter, base 250 ms, capped at 4 s", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((retry) => backoffDelayMs(retry, null, () => 0.999999))).toEqual([249, 499, 999, 1999, 3999, 3999, 3999]);
    expect(backoffDelayMs(3, null, () => 0)).toBe(0);
    expect(backoffDelayMs(2, null, () => 0.5)).toBe(500);
  });

  it("takes what the upstream asked for instead, up to the cap", () => {
    expect(backoffDelayMs(0, 1_500, () => 0)).toBe(1_500);
    expect(backoffDelayMs(0, 60_000, () => 0)).toBe(4_000);
  });

  it("reads retry-after-ms, retry-after in seconds and as an HTTP date", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "350", "retry-after": "9" }))).toBe(350);
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2_000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(10_000 + 3_000).toUTCString() }), 10_000)).toBe(3_000);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeNull();
    expect(retryAfterMs(new Headers())).toBeNull();
  });
});
