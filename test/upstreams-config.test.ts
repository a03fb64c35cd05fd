import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../src/config";
import { parseUpstreams } from "../src/config/upstreams";
import { ADMIN_TOKEN, call, createTeamWithKey, json } from "./helpers/gateway";
import { restoreSpies, track } from "./helpers/spies";

afterEach(restoreSpies);

const openai = { name: "openai", base_url: "https://api.openai.com/v1", api_key_env: "OPENAI_API_KEY", models: ["gpt-*", "o*", "text-embedding-*"] };
const local = { name: "local", base_url: "http://localhost:11434/v1/", models: ["llama*", "qwen*"] };
const secrets = { OPENAI_API_KEY: "sk-openai-secret" };

function problem(env: Record<string, unknown>): string {
  try {
    parseUpstreams(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("UPSTREAMS", () => {
  it("parses the issue's example in order, reading each key from the secret it names", () => {
    const upstreams = parseUpstreams({ UPSTREAMS: JSON.stringify([openai, local]), ...secrets });
    expect(upstreams.map((u) => [u.name, u.baseUrl, u.apiKeyEnv, u.apiKey, u.models])).toEqual([
      ["openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "sk-openai-secret", openai.models],
      ["local", "http://localhost:11434/v1", null, undefined, local.models],
    ]);
    expect(upstreams[0].modelPattern.test("gpt-4o")).toBe(true);
    expect(upstreams[0].modelPattern.test("o3-mini")).toBe(true);
    expect(upstreams[0].modelPattern.test("llama3")).toBe(false);
    expect(upstreams[1].modelPattern.test("qwen2.5:7b")).toBe(true);
  });

  it("treats every pattern character but * literally", () => {
    const [u] = parseUpstreams({ UPSTREAMS: JSON.stringify([{ ...local, models: ["a.b+c", "x(y)*"] }]) });
    expect(u.modelPattern.test("a.b+c")).toBe(true);
    expect(u.modelPattern.test("aXb+c")).toBe(false);
    expect(u.modelPattern.test("x(y)-anything")).toBe(true);
    expect(u.modelPattern.test("prefix-a.b+c")).toBe(false);
  });

  it("keeps model_map", () => {
    const [u] = parseUpstreams({ UPSTREAMS: JSON.stringify([{ ...openai, model_map: { "gpt-4o": "my-azure-deployment" } }]), ...secrets });
    expect(u.modelMap).toEqual({ "gpt-4o": "my-azure-deployment" });
  });

  it("without UPSTREAMS, makes one catch-all upstream of UPSTREAM_BASE_URL and UPSTREAM_API_KEY", () => {
    const [u, ...rest] = parseUpstreams({ UPSTREAM_BASE_URL: "http://vllm:8000/v1/", UPSTREAM_API_KEY: "k" });
    expect(rest).toEqual([]);
    expect([u.name, u.baseUrl, u.apiKey, u.models]).toEqual(["default", "http://vllm:8000/v1", "k", ["*"]]);
    expect(u.modelPattern.test("anything/at:all")).toBe(true);
    expect(parseUpstreams({ UPSTREAMS: "  " })[0].baseUrl).toBe("https://api.openai.com/v1");
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["not JSON", { UPSTREAMS: "[{name:" }, /^UPSTREAMS is not valid JSON/],
    ["not an array", { UPSTREAMS: JSON.stringify(openai), ...secrets }, /^UPSTREAMS must be a non-empty JSON array/],
    ["an empty array", { UPSTREAMS: "[]" }, /^UPSTREAMS must be a non-empty JSON array/],
    ["an entry that is not an object", { UPSTREAMS: "[1]" }, /entry 0 is not an object/],
    ["a missing name", { UPSTREAMS: JSON.stringify([{ ...local, name: undefined }]) }, /entry 0 needs a "name"/],
    ["a name that cannot be a header value", { UPSTREAMS: JSON.stringify([{ ...local, name: "my upstream\n" }]) }, /entry 0 needs a "name"/],
    ["a duplicate name", { UPSTREAMS: JSON.stringify([local, { ...local }]) }, /two upstreams named 'local'/],
    ["a bad URL", { UPSTREAMS: JSON.stringify([{ ...local, base_url: "localhost:11434" }]) }, /upstream 'local' has a base_url that is not http or https/],
    ["a URL that is not one", { UPSTREAMS: JSON.stringify([{ ...local, base_url: "not a url" }]) }, /upstream 'local' has a base_url that is not a URL: 'not a url'/],
    ["no base_url", { UPSTREAMS: JSON.stringify([{ ...local, base_url: undefined }]) }, /upstream 'local' has no base_url/],
    ["a missing api_key_env secret", { UPSTREAMS: JSON.stringify([openai]) }, /upstream 'openai' names the secret OPENAI_API_KEY in api_key_env, but it is not set/],
    ["an empty api_key_env secret", { UPSTREAMS: JSON.stringify([openai]), OPENAI_API_KEY: "" }, /names the secret OPENAI_API_KEY in api_key_env, but it is not set/],
    ["no patterns", { UPSTREAMS: JSON.stringify([{ ...local, models: [] }]) }, /upstream 'local' has no model patterns/],
    ["no models field", { UPSTREAMS: JSON.stringify([{ ...local, models: undefined }]) }, /upstream 'local' has no model patterns/],
    ["an empty pattern", { UPSTREAMS: JSON.stringify([{ ...local, models: [""] }]) }, /upstream 'local' has a model pattern that is not a non-empty string/],
    ["a key written into the config", { UPSTREAMS: JSON.stringify([{ ...local, api_key: "sk-x" }]) }, /upstream 'local' has a key in the config \("api_key"\): put it in a secret/],
    ["an unknown field", { UPSTREAMS: JSON.stringify([{ ...local, model: ["x"] }]) }, /upstream 'local' has an unknown field "model"/],
    ["a model_map that is not an object", { UPSTREAMS: JSON.stringify([{ ...local, model_map: ["x"] }]) }, /model_map that is not an object/],
    ["a model_map value that is not a name", { UPSTREAMS: JSON.stringify([{ ...local, model_map: { a: 1 } }]) }, /maps 'a' in model_map to something that is not a model name/],
    ["a bad legacy UPSTREAM_BASE_URL", { UPSTREAM_BASE_URL: "ftp://x" }, /^UPSTREAM_BASE_URL has a base_url that is not http or https/],
  ];
  for (const [what, env, message] of bad) {
    it(`refuses ${what} with its own message`, () => {
      expect(problem(env)).toMatch(message);
    });
  }

  it("is checked by parseConfig, and never replaced by a default", () => {
    expect(() => parseConfig({ UPSTREAMS: "nope" })).toThrow(/UPSTREAMS is not valid JSON/);
  });
});

describe("GET /admin/upstreams", () => {
  it("shows the parsed upstreams in routing order, naming each secret but never showing it", async () => {
    const env = { UPSTREAMS: JSON.stringify([{ ...openai, model_map: { "gpt-4o": "dep-1" } }, local]), ...secrets };
    const res = await call("/admin/upstreams", { key: ADMIN_TOKEN, env });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("sk-openai-secret");
    expect(JSON.parse(text)).toEqual({
      object: "list",
      data: [
        { name: "openai", base_url: "https://api.openai.com/v1", api_key_env: "OPENAI_API_KEY", has_api_key: true, models: openai.models, model_map: { "gpt-4o": "dep-1" } },
        { name: "local", base_url: "http://localhost:11434/v1", api_key_env: null, has_api_key: false, models: local.models, model_map: {} },
      ],
      retry_attempts: 2,
      upstream_timeout_ms: 600000,
    });
  });

  it("needs the admin token", async () => {
    expect((await call("/admin/upstreams", { key: "sk-gw-not-admin" })).status).toBe(401);
  });
});

describe("a bad UPSTREAMS at request time", () => {
  it("answers 500 gateway_misconfigured in OpenAI's shape, naming the problem, and sends nothing upstream", async () => {
    const env = { UPSTREAMS: JSON.stringify([openai]) };
    const res = await call("/admin/upstreams", { key: ADMIN_TOKEN, env });
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body.error.code).toBe("gateway_misconfigured");
    expect(body.error.type).toBe("server_error");
    expect(body.error.message).toContain("OPENAI_API_KEY");

    const { key } = await createTeamWithKey();
    const spy = track(vi.spyOn(globalThis, "fetch"));
    const chat = await call("/v1/chat/completions", { key, body: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, env });
    expect(chat.status).toBe(500);
    expect((await json(chat)).error.code).toBe("gateway_misconfigured");
    expect(spy).not.toHaveBeenCalled();
  });
});

describe("a missing binding at request time", () => {
  it.each(["BACKGROUND_QUEUE", "TEAM_LIMITER"])("answers 500 gateway_misconfigured naming %s, never runs without it", async (binding) => {
    const { key } = await createTeamWithKey();
    const spy = track(vi.spyOn(globalThis, "fetch"));
    const res = await call("/v1/chat/completions", { key, body: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, env: { [binding]: undefined } });
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body.error).toMatchObject({ type: "server_error", code: "gateway_misconfigured" });
    expect(body.error.message).toContain(binding);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe("a deploy without ID_SECRET", () => {
  it.each([undefined, "", "too-short"])("answers 500 gateway_misconfigured naming ID_SECRET (%s), and sends nothing upstream", async (secret) => {
    const { key } = await createTeamWithKey();
    const spy = vi.spyOn(globalThis, "fetch");
    const res = await call("/v1/chat/completions", { key, body: { model: "gpt-4o", store: true, messages: [{ role: "user", content: "hi" }] }, env: { ID_SECRET: secret } });
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body.error).toMatchObject({ type: "server_error", code: "gateway_misconfigured" });
    expect(body.error.message).toMatch(/^The gateway is misconfigured: ID_SECRET /);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});
