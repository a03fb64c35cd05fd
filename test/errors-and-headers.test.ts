import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(restoreSpies);

function expectOpenAIError(body: any) {
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

describe("errors in OpenAI's shape", () => {
  it("answers an unknown route with 404", async () => {
    for (const path of ["/nope", "/v1/no-such-endpoint", "/v1/chat/completions/x/y/z", "/admin/nothing"]) {
      const res = await call(path, { key: path.startsWith("/admin") ? "test-admin-token" : key });
      expect(res.status, path).toBe(404);
      expectOpenAIError(await json(res));
    }
  });

  it("answers a known route with the wrong method with 405 and an Allow header", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/v1/chat/completions", "GET, POST"],
      ["PATCH", "/v1/chat/completions/chatcmpl-1", "GET, POST, DELETE"],
      ["POST", "/v1/chat/completions/chatcmpl-1/messages", "GET"],
      ["DELETE", "/admin/teams", "GET, POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { key: path.startsWith("/admin") ? "test-admin-token" : key, method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")?.split(", ").sort()).toEqual(allow.split(", ").sort());
      expectOpenAIError(await json(res));
    }
  });

  it.each([
    ["invalid JSON", "{not json", "application/json", 400],
    ["a JSON array", "[1,2]", "application/json", 400],
    ["a JSON string", '"hello"', "application/json", 400],
    ["null", "null", "application/json", 400],
    ["an empty body", "", "application/json", 400],
    ["a form body", "model=x", "application/x-www-form-urlencoded", 415],
    ["text", '{"model":"x"}', "text/plain", 415],
  ])("rejects %s with a clear %i", async (_, body, contentType, status) => {
    const upstream = mockUpstream(() => jsonResponse(completionFixture()));
    const res = await call("/v1/chat/completions", { key, body, headers: { "content-type": contentType } });
    expect(res.status).toBe(status);
    expectOpenAIError(await json(res));
    expect(upstream.calls).toHaveLength(0);
  });

  // Every spelling is a valid media type (RFC 9110, 8.3.1): case-insensitive, whitespace around
  // ';', empty parameters.
  const JSON_SPELLINGS = [
    "APPLICATION/JSON",
    "application/json; charset=UTF-8",
    "Application/Json;Charset=utf-8",
    "application/json ; charset=UTF-8",
    "application/json;",
    "application/json;;charset=utf-8",
    "application/json; charset=UTF-8;",
  ];

  it.each(JSON_SPELLINGS)("accepts a JSON body sent as %s on chat, pass-through, completion update and admin routes", async (contentType) => {
    const { key: own } = await createTeamWithKey();
    const upstream = mockUpstream((sent) =>
      sent.url.endsWith("/embeddings") ? jsonResponse({ object: "list", data: [], model: "text-embedding-3-small", usage: { prompt_tokens: 1, total_tokens: 1 } }) : jsonResponse(completionFixture()),
    );
    const headers = { "content-type": contentType };
    const chat = await call("/v1/chat/completions", { key: own, headers, body: { model: "gpt-4o-mini", store: true, messages: [{ role: "user", content: "hi" }] } });
    expect(chat.status, "chat").toBe(200);
    const { id } = await json(chat);
    expect((await call("/v1/embeddings", { key: own, headers, body: { model: "text-embedding-3-small", input: "hi" } })).status, "embeddings").toBe(200);
    const updated = await call(`/v1/chat/completions/${id}`, { key: own, headers, body: { metadata: { seen: "yes" } } });
    expect(updated.status, "update").toBe(200);
    expect((await json(updated)).metadata).toEqual({ seen: "yes" });
    expect(upstream.calls).toHaveLength(2);
    upstream.spy.mockRestore();

    const team = await call("/admin/teams", { key: "test-admin-token", headers, body: { name: "media-type" } });
    expect(team.status, "admin create").toBe(201);
    const patched = await call(`/admin/teams/${(await json(team)).id}`, { key: "test-admin-token", method: "PATCH", headers, body: { rpm_limit: 7 } });
    expect(patched.status, "admin patch").toBe(200);
    expect((await json(patched)).rpm_limit).toBe(7);
  });

  it("rejects odd completion ids without a 5xx", async () => {
    const ids = ["..%2F..%2Fadmin", "%00", "x".repeat(513), "%F0%9F%98%80", "a%20b", "%E2%80%AE", "%FF"];
    for (const id of ids) {
      for (const method of ["GET", "DELETE"]) {
        const res = await call(`/v1/chat/completions/${id}`, { key, method });
        expect([400, 404], `${method} ${id}`).toContain(res.status);
        expectOpenAIError(await json(res));
      }
    }
  });

  it("never shows internals when something unexpected fails", async () => {
    const broken = { prepare: () => { throw new Error("D1_ERROR: secret internal detail at db.ts:42"); } } as unknown as D1Database;
    const res = await call("/v1/chat/completions/chatcmpl-1", { key, env: { DB: broken } });
    expect(res.status).toBe(500);
    const body = await json(res);
    expectOpenAIError(body);
    expect(JSON.stringify(body)).not.toContain("secret internal detail");
  });
});

describe("security headers", () => {
  it("sends nosniff on every response, including errors", async () => {
    for (const res of [
      await call("/v1/chat/completions", { key }),
      await call("/v1/chat/completions"),
      await call("/nope"),
      await call("/openapi.json"),
      await call("/doc"),
      await call("/doc/init.js"),
      await call("/doc/swagger-ui.css"),
    ]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });

  it("adds the page headers to the explorer's files only", async () => {
    for (const path of ["/doc", "/doc/init.js", "/doc/swagger-ui.css"]) {
      const res = await call(path);
      expect(res.headers.get("x-frame-options"), path).toBe("SAMEORIGIN");
      expect(res.headers.get("cross-origin-opener-policy"), path).toBe("same-origin");
    }
    const api = await call("/v1/chat/completions", { key });
    expect(api.headers.get("x-frame-options")).toBeNull();
  });

  it("gives /doc a CSP that allows only its own origin", async () => {
    const res = await call("/doc");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/https?:|unsafe-eval|\*/);
  });

  it("never logs a gateway key in full", async () => {
    const logs: string[] = [];
    for (const level of ["log", "warn", "error", "info"] as const) track(vi.spyOn(console, level)).mockImplementation((...args) => void logs.push(args.join(" ")));
    const bad = "sk-gw-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcdefg";
    await call("/v1/chat/completions", { key: bad });
    mockUpstream(() => jsonResponse(completionFixture()));
    await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "x" }], store: true } });
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line).not.toContain(bad);
      expect(line).not.toContain(key);
    }
  });
});
