import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:test";
import { call, callLive, createTeamWithKey, json } from "./helpers/gateway";
import { MINTED_ID, mintedIdIn } from "./helpers/ids";
import { chunk, completionFixture, gatedSseBody, jsonResponse, mockUpstream, readSse, sseResponse, textStreamChunks, UPSTREAM } from "./helpers/upstream";
import { restoreSpies, track } from "./helpers/spies";
import { storedTrace, storedWithUpstreamId } from "./helpers/store";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(restoreSpies);

const messages = [{ role: "user", content: "Say hello" }];

describe("POST /v1/chat/completions: forwarding", () => {
  it("sends the gateway's upstream key, never the client's, and returns the upstream answer untouched", async () => {
    const fixture = completionFixture();
    const upstream = mockUpstream(() => jsonResponse(fixture, 200, { "x-request-id": "req_123" }));
    const res = await call("/v1/chat/completions", { key, body: { model: "gpt-4o-mini", messages } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(JSON.stringify(fixture));
    expect(res.headers.get("x-request-id")).toBe("req_123");
    expect(upstream.calls).toHaveLength(1);
    expect(upstream.calls[0].url).toBe(`${UPSTREAM}/chat/completions`);
    expect(upstream.calls[0].headers.get("authorization")).toBe("Bearer sk-upstream-secret");
    expect(JSON.stringify([...upstream.calls[0].headers])).not.toContain(key);
  });

  it("forwards a top-level __proto__ field like any other unknown field, stored or not, and to a pass-through endpoint", async () => {
    const upstream = mockUpstream((sent) =>
      sent.url.endsWith("/embeddings") ? jsonResponse({ object: "list", data: [], model: "text-embedding-3-small", usage: { prompt_tokens: 1, total_tokens: 1 } }) : jsonResponse(completionFixture()),
    );
    // JSON.stringify of an object literal cannot write an own "__proto__" key: the body is written by hand.
    const proto = '"__proto__":{"vendor_option":[1,"two"]}';
    const bodies = [
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],${proto}}`,
      `{"model":"gpt-4o-mini","store":true,"messages":[{"role":"user","content":"hi"}],${proto},"after":1}`,
      `{"model":"text-embedding-3-small","input":"hi",${proto}}`,
    ];
    for (const [i, body] of bodies.entries()) {
      const res = await call(i === 2 ? "/v1/embeddings" : "/v1/chat/completions", { key, body });
      expect(res.status, body).toBe(200);
      const sent = upstream.calls[i].body;
      expect(Object.hasOwn(sent, "__proto__"), body).toBe(true);
      expect(Object.getOwnPropertyDescriptor(sent, "__proto__")?.value).toEqual({ vendor_option: [1, "two"] });
      expect(Object.getPrototypeOf(sent)).toBe(Object.prototype);
    }
    expect(upstream.calls[1].body.after).toBe(1);
    expect(({} as Record<string, unknown>).vendor_option).toBeUndefined();
    upstream.spy.mockRestore();
  });

  it("passes every other field through, unknown ones included, and removes store and metadata", async () => {
    const upstream = mockUpstream(() => jsonResponse(completionFixture()));
    const body = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }], vendor_field: 1 }],
      temperature: 0.3,
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      logit_bias: { "50256": -100 },
      some_future_field: { nested: [1, 2, 3] },
      store: true,
      metadata: { project: "x" },
    };
    await call("/v1/chat/completions", { key, body });
    const { store, metadata, ...expected } = body;
    expect(upstream.calls[0].body).toEqual(expected);
  });

  it("rejects a request without model or messages with a 400 naming the field", async () => {
    mockUpstream(() => jsonResponse(completionFixture()));
    const noModel = await call("/v1/chat/completions", { key, body: { messages } });
    expect(noModel.status).toBe(400);
    expect((await json(noModel)).error).toMatchObject({ type: "invalid_request_error", param: "model" });
    const empty = await call("/v1/chat/completions", { key, body: { model: "m", messages: [] } });
    expect((await json(empty)).error.param).toBe("messages");
    const notArray = await call("/v1/chat/completions", { key, body: { model: "m", messages: "hi" } });
    expect((await json(notArray)).error.param).toBe("messages");
    const badRole = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "wizard", content: "x" }] } });
    expect(badRole.status).toBe(400);
    expect((await json(badRole)).error.param).toBe("messages[0].role");
  });

  it("rejects stream_options without stream: true, as OpenAI does", async () => {
    const upstream = mockUpstream(() => jsonResponse(completionFixture()));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream_options: { include_usage: true } } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe("stream_options");
    expect(upstream.calls).toHaveLength(0);
  });

  it.each([
    ["17 pairs", Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]))],
    ["a 65-character key", { ["k".repeat(65)]: "v" }],
    ["a 513-character value", { k: "v".repeat(513) }],
    ["a non-string value", { k: 1 }],
    ["an array", ["a"]],
  ])("rejects metadata with %s with a 400 on param metadata", async (_, metadata) => {
    const upstream = mockUpstream(() => jsonResponse(completionFixture()));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true, metadata } });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ type: "invalid_request_error", param: "metadata" });
    expect(upstream.calls).toHaveLength(0);
  });

  it("accepts metadata right at the limits", async () => {
    mockUpstream(() => jsonResponse(completionFixture()));
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, "k"), "v".repeat(512)]));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true, metadata } });
    expect(res.status).toBe(200);
  });
});

describe("POST /v1/chat/completions: streaming", () => {
  it("pipes the upstream's events through and ends with [DONE]", async () => {
    const events = textStreamChunks("chatcmpl-s1", ["Hel", "lo"]);
    mockUpstream(() => sseResponse(events));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, stream_options: { include_usage: true } } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const received = await readSse(res);
    expect(received.map((e) => e.data)).toEqual([...events.map((e) => JSON.stringify(e)), "[DONE]"]);
  });

  it("delivers the first chunk before the upstream has sent the rest", async () => {
    const { body, release } = gatedSseBody("first");
    mockUpstream(() => new Response(body, { headers: { "content-type": "text/event-stream" } }));
    const { response } = await callLive("/v1/chat/completions", { key, body: { model: "m", messages, stream: true } });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"content":"first"');
    release();
    await reader.cancel();
  });

  it("asks for usage when storing, and hides it from a client that did not ask", async () => {
    const upstream = mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-usage1", ["a", "b"])));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    expect(upstream.calls[0].body.stream_options).toEqual({ include_usage: true });
    const text = await res.text();
    expect(text).not.toContain('"usage"');
    expect(text).toContain('"content":"b"');
    const stored = await json(await call(`/v1/chat/completions/${mintedIdIn(text)}`, { key }));
    expect(stored.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(stored.choices[0].message.content).toBe("ab");
  });

  it("stores a streamed tool call rebuilt from its deltas", async () => {
    const id = "chatcmpl-tools1";
    const tc = (call: Record<string, unknown>) => chunk(id, { tool_calls: [call] });
    mockUpstream(() =>
      sseResponse(
        [
          chunk(id, { role: "assistant", content: null }),
          tc({ index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "" } }),
          tc({ index: 0, function: { arguments: '{"q":' } }),
          tc({ index: 0, function: { arguments: '"x"}' } }),
          { ...chunk(id, {}), choices: [{ index: 0, delta: {}, finish_reason: "tool_calls", logprobs: null }] },
          { ...chunk(id, {}), choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
        ],
        { splitEvery: 23 },
      ),
    );
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    const stored = await json(await call(`/v1/chat/completions/${mintedIdIn(await res.text())}`, { key }));
    expect(stored.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
    });
  });

  it("does not store a stream that ends before [DONE], and tells the client", async () => {
    mockUpstream(() => sseResponse([chunk("chatcmpl-cut1", { content: "par" })], { done: false }));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    const events = await readSse(res);
    expect(events.at(-1)).toMatchObject({ event: "error" });
    expect(JSON.parse(events.at(-1)!.data).error.code).toBe("upstream_incomplete");
    expect((await call("/v1/chat/completions/chatcmpl-cut1", { key })).status).toBe(404);
  });
});

describe("POST /v1/chat/completions: storage", () => {
  it("stores nothing without store: true", async () => {
    const fixture = completionFixture();
    mockUpstream(() => jsonResponse(fixture));
    await call("/v1/chat/completions", { key, body: { model: "m", messages } });
    expect((await call(`/v1/chat/completions/${fixture.id}`, { key })).status).toBe(404);
  });

  it("stores the completion, echoed settings and metadata under the id it minted, keeping the upstream's id and name", async () => {
    const fixture = completionFixture();
    mockUpstream(() => jsonResponse(fixture));
    // Settings OpenAI echoes under their own names; `user` comes back as `input_user`, `n` not at all.
    const echoed = { temperature: 0.5, top_p: 0.9, seed: 42, presence_penalty: 0.1, frequency_penalty: 0.2, response_format: { type: "text" } };
    const request = { model: "gpt-4o-mini", messages, store: true, metadata: { project: "alpha" }, ...echoed, user: "user-7", n: 1 };
    const res = await json(await call("/v1/chat/completions", { key, body: request }));
    expect(res.id).toMatch(MINTED_ID);
    expect(res).toEqual({ ...fixture, id: res.id });
    const stored = await json(await call(`/v1/chat/completions/${res.id}`, { key }));
    expect(stored).toEqual({ ...fixture, id: res.id, metadata: { project: "alpha" }, ...echoed, input_user: "user-7" });
    const row = await storedTrace(res.id);
    expect(row).toEqual({ upstream_id: fixture.id, upstream: "default" });
  });

  it("mints a new id for every stored answer, whether the upstream's id repeats or is missing", async () => {
    const fixture = completionFixture({ id: "chatcmpl-same" });
    const same = mockUpstream(() => jsonResponse(fixture));
    const first = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true } }));
    const second = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true } }));
    expect(first.id).toMatch(MINTED_ID);
    expect(second.id).toMatch(MINTED_ID);
    expect(second.id).not.toBe(first.id);
    expect((await call(`/v1/chat/completions/${second.id}`, { key })).status).toBe(200);

    same.spy.mockRestore();
    const { id: _drop, ...noId } = completionFixture();
    mockUpstream(() => jsonResponse(noId));
    const third = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true } }));
    expect(third.id).toMatch(MINTED_ID);
    expect((await json(await call(`/v1/chat/completions/${third.id}`, { key }))).id).toBe(third.id);
  });

  it("rewrites the id in every chunk of a stored stream to the minted one", async () => {
    mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-dupstream", ["x"])));
    await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    const ids = new Set((await readSse(res)).filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data).id));
    expect(ids.size).toBe(1);
    const [newId] = ids;
    expect(newId).toMatch(MINTED_ID);
    expect((await json(await call(`/v1/chat/completions/${newId}`, { key }))).choices[0].message.content).toBe("x");
  });
});

describe("POST /v1/chat/completions: upstream faults", () => {
  it("passes an upstream error through with its status, body and retry headers", async () => {
    const body = { error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" } };
    mockUpstream(() => jsonResponse(body, 429, { "retry-after": "2", "retry-after-ms": "1500", "x-ratelimit-remaining-requests": "0" }));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true } });
    expect(res.status).toBe(429);
    expect(await json(res)).toEqual(body);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("retry-after-ms")).toBe("1500");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  });

  it("wraps a non-JSON upstream error in OpenAI's shape, keeping the status", async () => {
    mockUpstream(() => new Response("<html>Bad gateway</html>", { status: 503, headers: { "content-type": "text/html" } }));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages } });
    expect(res.status).toBe(503);
    expect((await json(res)).error).toMatchObject({ type: "upstream_error", code: "upstream_503" });
  });

  it("answers 502 when the upstream cannot be reached", async () => {
    mockUpstream(() => {
      throw new TypeError("Network connection lost.");
    });
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages } });
    expect(res.status).toBe(502);
    expect((await json(res)).error).toEqual({ message: "The upstream could not be reached.", type: "upstream_error", param: null, code: "upstream_unreachable" });
  });

  it("answers 504 when the upstream sends no byte within UPSTREAM_TIMEOUT_MS", async () => {
    track(vi.spyOn(globalThis, "fetch")).mockImplementation(
      (_input, init) =>
        new Promise((_, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
        }),
    );
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages }, env: { UPSTREAM_TIMEOUT_MS: "50" } });
    expect(res.status).toBe(504);
    expect((await json(res)).error.code).toBe("upstream_timeout");
  });

  /** A JSON answer whose body comes in `pieces`, `delayMs` apart. */
  function tricklingJson(pieces: number, delayMs: number): Response {
    const text = JSON.stringify(completionFixture({ id: "chatcmpl-trickle" }));
    const size = Math.ceil(text.length / pieces);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (at >= text.length) return controller.close();
        if (at > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        controller.enqueue(new TextEncoder().encode(text.slice(at, (at += size))));
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  }

  it("answers 504 when a stored answer's body goes silent for UPSTREAM_IDLE_TIMEOUT_MS, and stores nothing", async () => {
    mockUpstream(() => tricklingJson(3, 400));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { UPSTREAM_IDLE_TIMEOUT_MS: "60" } });
    expect(res.status).toBe(504);
    expect((await json(res)).error).toMatchObject({ type: "timeout_error", code: "upstream_timeout" });
    expect(await storedWithUpstreamId("chatcmpl-trickle")).toBe(0);
  });

  it("waits for a stored answer whose body takes longer than the idle timeout in all, but never falls silent that long", async () => {
    mockUpstream(() => tricklingJson(8, 25));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true }, env: { UPSTREAM_IDLE_TIMEOUT_MS: "100" } });
    expect(res.status).toBe(200);
    expect((await json(res)).id).toMatch(MINTED_ID);
  });

  it.each([false, true])("relays an upstream's mid-stream error event as its last event, not stored (store: %s)", async (store) => {
    const upstreamError = { error: { message: "The model crashed.", type: "server_error", param: null, code: null } };
    mockUpstream(() => sseResponse([chunk(`chatcmpl-crash-${store}`, { content: "par" }), upstreamError], { done: false, splitEvery: 7 }));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store } });
    const events = await readSse(res);
    // Not stored: the upstream's id passes through; stored: every chunk carries the minted id.
    const id = store ? expect.stringMatching(MINTED_ID) : `chatcmpl-crash-${store}`;
    expect(events.map((e) => JSON.parse(e.data))).toEqual([expect.objectContaining({ id }), upstreamError]);
    expect((await call(`/v1/chat/completions/${JSON.parse(events[0].data).id}`, { key })).status).toBe(404);
  });

  it("ends a stream that goes silent mid-way with an error event the SDK raises", async () => {
    mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-idle", ["a", "b"]), { delayMs: 150 }));
    const res = await call("/v1/chat/completions", {
      key,
      body: { model: "m", messages, stream: true, store: true },
      env: { UPSTREAM_IDLE_TIMEOUT_MS: "60" },
    });
    const events = await readSse(res);
    const last = events.at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data).error.code).toBe("upstream_timeout");
    expect(events).toHaveLength(1);
    expect(await storedWithUpstreamId("chatcmpl-idle")).toBe(0);
  });
});

describe("POST /v1/chat/completions: upstreams that misbehave", () => {
  it("gives every concurrent request its own id though the upstream repeats ids (as Ollama's do)", async () => {
    const { key: own } = await createTeamWithKey();
    mockUpstream((upstreamCall) =>
      jsonResponse(completionFixture({ id: "chatcmpl-7", choices: [{ index: 0, message: { role: "assistant", content: upstreamCall.body.messages[0].content, refusal: null }, finish_reason: "stop", logprobs: null }] })),
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        json(await call("/v1/chat/completions", { key: own, body: { model: "m", messages: [{ role: "user", content: `ask-${i}` }], store: true } })),
      ),
    );
    const ids = answers.map((a) => a.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids.filter((id) => id === "chatcmpl-7")).toHaveLength(0);
    for (const answer of answers) {
      const stored = await json(await call(`/v1/chat/completions/${answer.id}`, { key: own }));
      expect(stored.choices[0].message.content).toBe(answer.choices[0].message.content);
    }
  });

  it("keeps the upstream's message when its error body is not in OpenAI's shape", async () => {
    mockUpstream(() => jsonResponse({ object: "error", message: "max_tokens is too large", type: "BadRequestError", code: 400 }, 400));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages } });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "upstream_400" });
    expect(body.error.message).toContain("max_tokens is too large");
  });

  it("skips malformed entries in a stream instead of breaking it", async () => {
    const id = "chatcmpl-malformed";
    mockUpstream(() =>
      sseResponse([
        chunk(id, { role: "assistant", content: "ok" }),
        { ...chunk(id, {}), choices: [null] },
        chunk(id, { tool_calls: [null] }),
        { ...chunk(id, {}), choices: [{ index: 0, delta: null, finish_reason: "stop" }] },
      ]),
    );
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    const events = await readSse(res);
    expect(events.at(-1)!.data).toBe("[DONE]");
    const stored = await json(await call(`/v1/chat/completions/${mintedIdIn(events[0].data)}`, { key }));
    expect(stored.choices[0]).toMatchObject({ message: { content: "ok" }, finish_reason: "stop" });
  });

  it("keeps the upstream's real id for tracing when the first chunk has none (Azure's filter results)", async () => {
    const id = "chatcmpl-azure1";
    mockUpstream(() => sseResponse([{ id: "", object: "", created: 0, model: "", choices: [], prompt_filter_results: [] }, ...textStreamChunks(id, ["hi"])]));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, stream: true, store: true } });
    const minted = mintedIdIn(await res.text());
    expect((await json(await call(`/v1/chat/completions/${minted}`, { key }))).choices[0].message.content).toBe("hi");
    expect((await storedTrace(minted))?.upstream_id).toBe(id);
  });

  it("stores object and created even when the upstream leaves them out", async () => {
    const { object: _o, created: _c, ...bare } = completionFixture({ id: "chatcmpl-bare" });
    mockUpstream(() => jsonResponse(bare));
    const answer = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true } }));
    const stored = await json(await call(`/v1/chat/completions/${answer.id}`, { key }));
    expect(stored.object).toBe("chat.completion");
    expect(Number.isInteger(stored.created)).toBe(true);
  });
});
