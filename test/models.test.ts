import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { BASE, call, createTeamWithKey, json } from "./helpers/gateway";
import { modelsEmbeddingsUsageErrors } from "./helpers/models-embeddings-usage-spec";
import { jsonResponse, mockTwoUpstreams, twoUpstreamsEnv } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(() => {
  vi.useRealTimers();
  restoreSpies();
});

const list = (ids: string[]) => ({ object: "list", data: ids.map((id, i) => ({ id, object: "model", created: 1_700_000_000 + i, owned_by: "someone" })) });

/** Explicit ids among the patterns are listed even when the upstream does not list them. */
const env2 = () => twoUpstreamsEnv({ alpha: { models: ["gpt-*", "shared-*", "text-embedding-3-small"] } });

function mockLists() {
  return mockTwoUpstreams({
    alpha: () => jsonResponse(list(["gpt-4o", "gpt-4o-mini", "dall-e-3", "shared-1"])),
    beta: () => jsonResponse(list(["meta-llama/Llama-3-8B", "llama3.1", "shared-1", "mistral-7b"])),
  });
}

/** The worker with one env object throughout, as in production, so that its per-isolate cache is kept. */
function stableEnv(extra: Partial<Cloudflare.Env>) {
  const fixed = { ...env, ...extra } as Cloudflare.Env;
  return async (path: string, apiKey = key) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(BASE + path, { headers: { authorization: `Bearer ${apiKey}` } }), fixed, ctx);
    const body = await response.json<any>();
    await waitOnExecutionContext(ctx);
    return { status: response.status, body };
  };
}

describe("GET /v1/models", () => {
  it("lists each upstream's models that its patterns take, first upstream first, with owned_by the upstream", async () => {
    const upstreams = mockLists();
    const res = await call("/v1/models", { key, env: env2() });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(modelsEmbeddingsUsageErrors("ListModelsResponse", body)).toEqual([]);
    expect(body.data.map((m: any) => [m.id, m.owned_by])).toEqual([
      ["gpt-4o", "alpha"],
      ["gpt-4o-mini", "alpha"],
      ["shared-1", "alpha"],
      ["text-embedding-3-small", "alpha"],
      // model_map: the upstream's name for llama3 is shown as the gateway's.
      ["llama3", "beta"],
      ["llama3.1", "beta"],
    ]);
    expect(body.data[0]).toEqual({ id: "gpt-4o", object: "model", created: 1_700_000_000, owned_by: "alpha" });
    expect(upstreams.calls.map((c) => [c.host, c.method, c.url, c.headers.get("authorization")])).toEqual([
      ["alpha", "GET", "http://alpha.upstream.test/v1/models", "Bearer sk-alpha-secret"],
      ["beta", "GET", "http://beta.upstream.test/v1/models", "Bearer sk-beta-secret"],
    ]);
  });

  it("skips and logs an upstream whose list fails, and still answers", async () => {
    const warn = track(vi.spyOn(console, "warn"));
    mockTwoUpstreams({ alpha: () => jsonResponse({ error: { message: "down" } }, 500), beta: () => jsonResponse(list(["llama3.1"])) });
    const res = await call("/v1/models", { key, env: env2() });
    expect(res.status).toBe(200);
    // alpha's explicit model stays; its listed ones are gone until its list answers again.
    expect((await json(res)).data.map((m: any) => m.id)).toEqual(["text-embedding-3-small", "llama3.1"]);
    expect(warn.mock.calls.map((c) => JSON.parse(String(c[0]))).find((l) => l.event === "upstream_models_failed")).toMatchObject({ upstream: "alpha", error: "Error: status 500" });
  });

  it("keeps to the key's allowed_models", async () => {
    const limited = await createTeamWithKey({ allowed_models: ["gpt-4o-mini", "llama3", "not-served"] });
    mockLists();
    const body = await json(await call("/v1/models", { key: limited.key, env: env2() }));
    expect(body.data.map((m: any) => m.id)).toEqual(["gpt-4o-mini", "llama3"]);
  });

  it("is cached per isolate, refreshed in the background after a minute, and never older than 5 minutes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const get = stableEnv(env2());
    let version = 1;
    const upstreams = mockTwoUpstreams({
      alpha: () => jsonResponse(list([`gpt-v${version}`])),
      beta: () => jsonResponse(list([])),
    });
    const ids = async () => (await get("/v1/models")).body.data.map((m: any) => m.id)[0];
    expect(await ids()).toBe("gpt-v1");
    expect(upstreams.calls).toHaveLength(2);

    version = 2;
    vi.advanceTimersByTime(30_000);
    expect(await ids()).toBe("gpt-v1");
    expect(upstreams.calls).toHaveLength(2);

    // Past a minute: the cached list is answered at once, and a fresh one is fetched after the answer.
    vi.advanceTimersByTime(31_000);
    expect(await ids()).toBe("gpt-v1");
    expect(upstreams.calls).toHaveLength(4);
    expect(await ids()).toBe("gpt-v2");

    version = 3;
    // A list older than 5 minutes is never answered: the request waits for a fresh one.
    vi.advanceTimersByTime(5 * 60_000);
    expect(await ids()).toBe("gpt-v3");
  });
});

describe("GET /v1/models/{model}", () => {
  it("returns one model in OpenAI's shape", async () => {
    mockLists();
    const res = await call("/v1/models/llama3.1", { key, env: env2() });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(modelsEmbeddingsUsageErrors("Model", body)).toEqual([]);
    expect(body).toEqual({ id: "llama3.1", object: "model", created: 1_700_000_001, owned_by: "beta" });
  });

  it("finds a model id with a slash, encoded (as the SDKs send it) or not", async () => {
    mockTwoUpstreams({ alpha: () => jsonResponse(list([])), beta: () => jsonResponse(list(["llama-org/llama3-8b"])) });
    for (const path of [encodeURIComponent("llama-org/llama3-8b"), "llama-org/llama3-8b"]) {
      const res = await call(`/v1/models/${path}`, { key, env: env2() });
      expect([path, res.status]).toEqual([path, 200]);
      expect((await json(res)).id).toBe("llama-org/llama3-8b");
    }
    const missing = await call("/v1/models/llama-org/other", { key, env: env2() });
    expect([missing.status, (await json(missing)).error.code]).toEqual([404, "model_not_found"]);
  });

  it("answers 404 model_not_found for a model no upstream serves, and for one the key may not use", async () => {
    const limited = await createTeamWithKey({ allowed_models: ["gpt-4o-mini"] });
    mockLists();
    const unknown = await call("/v1/models/mistral-7b", { key, env: env2() });
    const forbidden = await call("/v1/models/gpt-4o", { key: limited.key, env: env2() });
    for (const [res, model] of [
      [unknown, "mistral-7b"],
      [forbidden, "gpt-4o"],
    ] as const) {
      expect(res.status).toBe(404);
      expect(await json(res)).toEqual({
        error: { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: "invalid_request_error", param: "model", code: "model_not_found" },
      });
    }
  });
});
