import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { mintedIdIn } from "./helpers/ids";
import { specErrors, validators } from "./helpers/spec";
import { chunk, completionFixture, mockUpstream, readSse, sseResponse } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

// Every answer of the stored-completions API, and every error, checked against OpenAI's official
// schemas (test/helpers/spec.ts, with the two exceptions docs/contract.md requires).

afterEach(restoreSpies);

const MODEL = "gpt-4o-mini-2024-07-18";

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** Input messages of every role, with content-part arrays, tool calls and a tool answer. */
const allRoleMessages = [
  { role: "developer", content: "Answer tersely." },
  { role: "system", content: [{ type: "text", text: "You are a weather bot." }] },
  {
    role: "user",
    content: [
      { type: "text", text: "What is in this image?" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
      { type: "text", text: "And this one?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=" } },
    ],
  },
  { role: "user", name: "alice", content: "And the weather in Paris? ☀️ ü" },
  {
    role: "assistant",
    content: null,
    tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
  },
  { role: "tool", tool_call_id: "call_w1", content: "18°C and sunny" },
  { role: "function", name: "get_weather", content: '{"temp":18}' },
  { role: "assistant", content: [{ type: "text", text: "It is 18°C." }] },
  { role: "user", content: "Thanks. Call it again." },
];

const echoedSettings = {
  temperature: 0.2,
  top_p: 0.9,
  seed: 42,
  tools: [weatherTool],
  tool_choice: { type: "function", function: { name: "get_weather" } },
  response_format: { type: "json_schema", json_schema: { name: "weather", schema: { type: "object" }, strict: true } },
  presence_penalty: 0.5,
  frequency_penalty: 0.25,
  user: "user-1234",
};

const logprob = (token: string, lp: number) => ({
  token,
  logprob: lp,
  bytes: [...new TextEncoder().encode(token)],
  top_logprobs: [
    { token, logprob: lp, bytes: [...new TextEncoder().encode(token)] },
    { token: "x", logprob: -9.5, bytes: null },
  ],
});

let key: string;
const ids: Record<string, string> = {};
/** The create answers as the client got them, by name, with the text the upstream sent. */
const created: Record<string, { status: number; text: string; upstreamText: string }> = {};
const streamed: Record<string, { event: string | null; data: string }[]> = {};

async function createNonStreamed(name: string, request: Record<string, unknown>, upstream: Record<string, unknown>) {
  const upstreamText = JSON.stringify(upstream);
  const { spy } = mockUpstream(() => new Response(upstreamText, { status: 200, headers: { "content-type": "application/json" } }));
  const res = await call("/v1/chat/completions", { key, body: { model: MODEL, store: true, ...request } });
  const text = await res.text();
  // The only change the gateway makes to a stored answer: the id is the one it minted.
  ids[name] = JSON.parse(text).id;
  created[name] = { status: res.status, text, upstreamText: upstreamText.replace(`"id":"${upstream.id}"`, `"id":"${ids[name]}"`) };
  spy.mockRestore();
}

async function createStreamed(name: string, request: Record<string, unknown>, id: string, events: unknown[], splitEvery?: number) {
  const { spy } = mockUpstream(() => sseResponse(events, { splitEvery }));
  const res = await call("/v1/chat/completions", { key, body: { model: MODEL, store: true, stream: true, ...request } });
  expect(res.status).toBe(200);
  streamed[name] = await readSse(res);
  ids[name] = mintedIdIn(streamed[name][0].data);
  expect(ids[name]).not.toBe(id);
  spy.mockRestore();
}

beforeAll(async () => {
  ({ key } = await createTeamWithKey());

  await createNonStreamed(
    "toolCalls",
    { messages: allRoleMessages, ...echoedSettings, metadata: { topic: "weather", "clé": "valeur ✓", emoji: "🌦️" } },
    completionFixture({
      id: "chatcmpl-spec-toolcalls",
      created: 1_738_960_600,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [
              { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Lyon"}' } },
            ],
            annotations: [],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 80,
        completion_tokens: 30,
        total_tokens: 110,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
    }),
  );

  await createNonStreamed(
    "logprobs",
    { messages: [{ role: "user", content: "Say hi" }], logprobs: true, top_logprobs: 2, metadata: { topic: "logprobs" } },
    completionFixture({
      id: "chatcmpl-spec-logprobs",
      created: 1_738_960_601,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi there", refusal: null },
          logprobs: { content: [logprob("Hi", -0.01), logprob(" there", -0.2)], refusal: null },
          finish_reason: "stop",
        },
      ],
    }),
  );

  await createNonStreamed(
    "refusal",
    { messages: [{ role: "system", content: "Be safe." }, { role: "user", content: "Help me do something bad" }] },
    completionFixture({
      id: "chatcmpl-spec-refusal",
      created: 1_738_960_601,
      choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I can't help with that." }, logprobs: null, finish_reason: "stop" }],
    }),
  );

  await createNonStreamed(
    "twoChoices",
    { messages: [{ role: "user", content: "Two answers please" }], n: 2, metadata: { topic: "weather", n: "2" } },
    completionFixture({
      id: "chatcmpl-spec-twochoices",
      created: 1_738_960_602,
      choices: [
        { index: 0, message: { role: "assistant", content: "One", refusal: null }, logprobs: null, finish_reason: "stop" },
        { index: 1, message: { role: "assistant", content: "Two", refusal: null }, logprobs: null, finish_reason: "length" },
      ],
    }),
  );

  // A stream the gateway rebuilds: content with logprobs; the client did not ask for usage.
  const textId = "chatcmpl-spec-streamtext";
  await createStreamed(
    "streamText",
    { messages: [{ role: "user", content: "Stream please" }], logprobs: true, temperature: 1, metadata: { topic: "stream" } },
    textId,
    [
      chunk(textId, { role: "assistant", content: "", refusal: null }),
      { ...chunk(textId, { content: "Hel" }), choices: [{ index: 0, delta: { content: "Hel" }, logprobs: { content: [logprob("Hel", -0.1)], refusal: null }, finish_reason: null }] },
      { ...chunk(textId, { content: "lo" }), choices: [{ index: 0, delta: { content: "lo" }, logprobs: { content: [logprob("lo", -0.3)], refusal: null }, finish_reason: null }] },
      { ...chunk(textId, {}), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] },
      { ...chunk(textId, {}), choices: [], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } },
    ],
  );

  // A stream of tool-call deltas, split across reads, with usage asked for by the client.
  const toolId = "chatcmpl-spec-streamtools";
  const toolDelta = (tool_calls: unknown[]) => chunk(toolId, { tool_calls });
  await createStreamed(
    "streamTools",
    { messages: [{ role: "user", content: "Weather in Paris and Rome?" }], tools: [weatherTool], tool_choice: "auto", stream_options: { include_usage: true } },
    toolId,
    [
      chunk(toolId, { role: "assistant", content: null }),
      toolDelta([{ index: 0, id: "call_p", type: "function", function: { name: "get_weather", arguments: "" } }]),
      toolDelta([{ index: 0, function: { arguments: '{"city":' } }]),
      toolDelta([{ index: 1, id: "call_r", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }]),
      toolDelta([{ index: 0, function: { arguments: '"Paris"}' } }]),
      { ...chunk(toolId, {}), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }] },
      { ...chunk(toolId, {}), choices: [], usage: { prompt_tokens: 20, completion_tokens: 12, total_tokens: 32 } },
    ],
    7,
  );
});

const get = async (path: string) => {
  const res = await call(path, { key });
  return { status: res.status, body: await json(res) };
};

describe("POST /v1/chat/completions", () => {
  it("passes every non-streamed answer through byte for byte but for the minted id, and each conforms to CreateChatCompletionResponse", () => {
    for (const name of ["toolCalls", "logprobs", "refusal", "twoChoices"]) {
      const { status, text, upstreamText } = created[name];
      expect(status, name).toBe(200);
      expect(text, name).toBe(upstreamText);
      expect(specErrors("CreateChatCompletionResponse", JSON.parse(text)), name).toEqual([]);
    }
  });

  it("streams chunks that conform to CreateChatCompletionStreamResponse, ending with [DONE]", () => {
    for (const name of ["streamText", "streamTools"]) {
      const events = streamed[name];
      expect(events.at(-1)?.data, name).toBe("[DONE]");
      for (const event of events.slice(0, -1)) {
        expect(specErrors("CreateChatCompletionStreamResponse", JSON.parse(event.data)), `${name}: ${event.data}`).toEqual([]);
      }
    }
  });

  it("hides the usage chunk it asked for, and keeps the one the client asked for", () => {
    const usageChunks = (name: string) => streamed[name].filter((e) => e.data !== "[DONE]" && JSON.parse(e.data).usage);
    expect(usageChunks("streamText")).toHaveLength(0);
    expect(usageChunks("streamTools")).toHaveLength(1);
  });
});

describe("GET /v1/chat/completions", () => {
  it("returns a page that conforms to ChatCompletionList, with every stored completion", async () => {
    const { status, body } = await get("/v1/chat/completions?limit=100");
    expect(status).toBe(200);
    expect(specErrors("ChatCompletionList", body)).toEqual([]);
    expect(body.data.map((c: any) => c.id).sort()).toEqual(Object.values(ids).sort());
    expect(body.first_id).toBe(body.data[0].id);
    expect(body.last_id).toBe(body.data.at(-1).id);
    expect(body.has_more).toBe(false);
  });

  it("echoes the request settings, input_user and metadata on a listed item", async () => {
    const { body } = await get("/v1/chat/completions?limit=100");
    const item = body.data.find((c: any) => c.id === ids.toolCalls);
    const { user, ...settings } = echoedSettings;
    expect(item).toMatchObject({ ...settings, input_user: user, metadata: { topic: "weather", "clé": "valeur ✓", emoji: "🌦️" } });
    expect(body.data.find((c: any) => c.id === ids.refusal).metadata).toEqual({});
  });

  for (const order of ["asc", "desc"] as const) {
    it(`walks pages of 2 in ${order} order, each page conforming`, async () => {
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const { status, body } = await get(`/v1/chat/completions?limit=2&order=${order}${after ? `&after=${encodeURIComponent(after)}` : ""}`);
        expect(status).toBe(200);
        expect(specErrors("ChatCompletionList", body)).toEqual([]);
        seen.push(...body.data.map((c: any) => c.id));
        if (!body.has_more) break;
        after = body.last_id;
      }
      expect(seen).toHaveLength(Object.keys(ids).length);
      expect(new Set(seen).size).toBe(seen.length);
    });
  }

  it("returns a conforming page for a metadata filter with one and with two keys (SDK-style encoded brackets)", async () => {
    const one = await get("/v1/chat/completions?metadata%5Btopic%5D=weather");
    expect(specErrors("ChatCompletionList", one.body)).toEqual([]);
    expect(one.body.data.map((c: any) => c.id).sort()).toEqual([ids.toolCalls, ids.twoChoices].sort());
    const two = await get("/v1/chat/completions?metadata[topic]=weather&metadata[n]=2");
    expect(specErrors("ChatCompletionList", two.body)).toEqual([]);
    expect(two.body.data.map((c: any) => c.id)).toEqual([ids.twoChoices]);
  });

  it("returns an empty page with null first_id and last_id, which conforms with the exception", async () => {
    const { status, body } = await get("/v1/chat/completions?model=no-such-model");
    expect(status).toBe(200);
    expect(body).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
    expect(specErrors("ChatCompletionList", body)).toEqual([]);
    // The exception is needed, and it is narrow: the official schema refuses null ids...
    expect(validators.official.ChatCompletionList(body)).toBe(false);
    // ...and ours refuses them on a page that has items, and string ids on an empty page.
    const full = (await get("/v1/chat/completions?limit=1")).body;
    expect(specErrors("ChatCompletionList", { ...full, first_id: null })).not.toEqual([]);
    expect(specErrors("ChatCompletionList", { ...body, first_id: "x", last_id: "x" })).not.toEqual([]);
  });
});

describe("GET /v1/chat/completions/{id}", () => {
  it("returns each stored completion conforming to CreateChatCompletionResponse", async () => {
    for (const [name, id] of Object.entries(ids)) {
      const { status, body } = await get(`/v1/chat/completions/${id}`);
      expect(status, name).toBe(200);
      expect(body.id, name).toBe(id);
      expect(specErrors("CreateChatCompletionResponse", body), name).toEqual([]);
    }
  });

  it("returns a stored non-streamed completion as the upstream sent it, plus metadata and settings", async () => {
    const { body } = await get(`/v1/chat/completions/${ids.logprobs}`);
    expect(body).toMatchObject({ ...JSON.parse(created.logprobs.upstreamText), metadata: { topic: "logprobs" } });
  });

  it("returns a rebuilt text stream with its content, logprobs, finish_reason and usage", async () => {
    const { body } = await get(`/v1/chat/completions/${ids.streamText}`);
    expect(body.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: "Hello", refusal: null },
        logprobs: { content: [logprob("Hel", -0.1), logprob("lo", -0.3)], refusal: null },
        finish_reason: "stop",
      },
    ]);
    expect(body.usage).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
    expect(body).toMatchObject({ object: "chat.completion", model: MODEL, temperature: 1, metadata: { topic: "stream" } });
  });

  it("returns rebuilt tool calls merged by index", async () => {
    const { body } = await get(`/v1/chat/completions/${ids.streamTools}`);
    expect(body.choices[0].message.tool_calls).toEqual([
      { id: "call_p", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "call_r", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
    ]);
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    expect(body).toMatchObject({ tools: [weatherTool], tool_choice: "auto", metadata: {} });
  });
});

describe("POST /v1/chat/completions/{id}", () => {
  it("returns the updated completion, conforming, for new metadata and for null", async () => {
    const res = await call(`/v1/chat/completions/${ids.refusal}`, { key, body: { metadata: { reviewed: "yes", "ключ": "значение" } } });
    expect(res.status).toBe(200);
    const updated = await json(res);
    expect(specErrors("CreateChatCompletionResponse", updated)).toEqual([]);
    expect(updated.metadata).toEqual({ reviewed: "yes", "ключ": "значение" });

    const cleared = await json(await call(`/v1/chat/completions/${ids.refusal}`, { key, body: { metadata: null } }));
    expect(specErrors("CreateChatCompletionResponse", cleared)).toEqual([]);
    expect(cleared.metadata).toEqual({});
  });
});

describe("GET /v1/chat/completions/{id}/messages", () => {
  it("returns every completion's messages as a conforming ChatCompletionMessageList", async () => {
    for (const [name, id] of Object.entries(ids)) {
      const { status, body } = await get(`/v1/chat/completions/${id}/messages?limit=100`);
      expect(status, name).toBe(200);
      expect(specErrors("ChatCompletionMessageList", body), name).toEqual([]);
      expect(body.data.length, name).toBeGreaterThan(0);
    }
  });

  it("returns messages of every role, in request order, with their parts, tool calls and tool_call_id", async () => {
    const { body } = await get(`/v1/chat/completions/${ids.toolCalls}/messages?limit=100`);
    expect(body.data.map((m: any) => m.role)).toEqual(allRoleMessages.map((m) => m.role));
    expect(body.data.map((m: any) => m.id)).toEqual(allRoleMessages.map((_, i) => `${ids.toolCalls}-${i}`));
    expect(body.data[0]).toMatchObject({ content: "Answer tersely.", name: null, content_parts: null });
    expect(body.data[1]).toMatchObject({ content: "You are a weather bot.", content_parts: allRoleMessages[1].content });
    expect(body.data[2].content_parts).toEqual(allRoleMessages[2].content);
    expect(body.data[2].content).toContain("What is in this image?");
    expect(body.data[3]).toMatchObject({ name: "alice", content: "And the weather in Paris? ☀️ ü" });
    expect(body.data[4]).toMatchObject({ content: null, tool_calls: allRoleMessages[4].tool_calls });
    expect(body.data[5]).toMatchObject({ tool_call_id: "call_w1", content: "18°C and sunny" });
    expect(body.data[6]).toMatchObject({ name: "get_weather", content: '{"temp":18}' });
  });

  it("needs the role exception only for roles other than assistant, and no other", async () => {
    const { body } = await get(`/v1/chat/completions/${ids.toolCalls}/messages?limit=100`);
    expect(validators.official.ChatCompletionMessageList(body)).toBe(false);
    const errors = validators.official.ChatCompletionMessageList.errors ?? [];
    // Every error of the official schema is about a role (or the anyOf/allOf wrapping it).
    const roleErrors = errors.filter((e) => e.instancePath.endsWith("/role"));
    expect(roleErrors.length).toBeGreaterThan(0);
    const assistantOnly = { ...body, data: body.data.filter((m: any) => m.role === "assistant") };
    expect(specErrors("ChatCompletionMessageList", assistantOnly)).toEqual([]);
    expect(validators.official.ChatCompletionMessageList(assistantOnly)).toBe(true);
  });

  for (const order of ["asc", "desc"] as const) {
    it(`walks message pages of 1 in ${order} order, each conforming, then an empty page with null ids`, async () => {
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 20; page++) {
        const { body } = await get(`/v1/chat/completions/${ids.toolCalls}/messages?limit=1&order=${order}${after ? `&after=${after}` : ""}`);
        expect(specErrors("ChatCompletionMessageList", body)).toEqual([]);
        expect(body.data).toHaveLength(1);
        seen.push(body.data[0].id);
        after = body.last_id;
        if (!body.has_more) break;
      }
      const expected = allRoleMessages.map((_, i) => `${ids.toolCalls}-${i}`);
      expect(seen).toEqual(order === "asc" ? expected : expected.reverse());
      const empty = await get(`/v1/chat/completions/${ids.toolCalls}/messages?order=${order}&after=${after}`);
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
      expect(specErrors("ChatCompletionMessageList", empty.body)).toEqual([]);
    });
  }
});

describe("DELETE /v1/chat/completions/{id}", () => {
  it("returns a conforming ChatCompletionDeleted, after which the id is a conforming 404", async () => {
    const res = await call(`/v1/chat/completions/${ids.twoChoices}`, { key, method: "DELETE" });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({ id: ids.twoChoices, object: "chat.completion.deleted", deleted: true });
    expect(specErrors("ChatCompletionDeleted", body)).toEqual([]);
    const deleted = ids.twoChoices;
    delete ids.twoChoices;

    for (const path of [`/v1/chat/completions/${deleted}`, `/v1/chat/completions/${deleted}/messages`]) {
      const gone = await get(path);
      expect(gone.status, path).toBe(404);
      expect(specErrors("ErrorResponse", gone.body), path).toEqual([]);
    }
  });
});

describe("errors", () => {
  const longId = "chatcmpl-" + "x".repeat(600);
  const cases: { name: string; path: string; status: number | number[]; method?: string; body?: unknown; auth?: "none" | "bad"; param?: string | null; code?: string }[] = [
    { name: "invalid JSON", path: "/v1/chat/completions", method: "POST", body: "{not json", status: 400 },
    { name: "a JSON body that is not an object", path: "/v1/chat/completions", method: "POST", body: "[1,2]", status: 400 },
    { name: "missing messages", path: "/v1/chat/completions", body: { model: MODEL }, status: 400, param: "messages" },
    { name: "empty messages", path: "/v1/chat/completions", body: { model: MODEL, messages: [] }, status: 400, param: "messages" },
    { name: "unknown role", path: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "wizard", content: "x" }] }, status: 400 },
    { name: "stream_options without stream", path: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: "x" }], stream_options: { include_usage: true } }, status: 400, param: "stream_options" },
    { name: "17 metadata pairs", path: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: "x" }], metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, status: 400, param: "metadata" },
    { name: "limit=0", path: "/v1/chat/completions?limit=0", status: 400, param: "limit" },
    { name: "limit=101", path: "/v1/chat/completions?limit=101", status: 400, param: "limit" },
    { name: "order=sideways", path: "/v1/chat/completions?order=sideways", status: 400, param: "order" },
    { name: "an unknown after", path: "/v1/chat/completions?after=chatcmpl-nope", status: 400, param: "after" },
    { name: "a messages limit of 101", path: "/v1/chat/completions/chatcmpl-spec-toolcalls/messages?limit=101", status: 400, param: "limit" },
    { name: "update without metadata", path: "/v1/chat/completions/chatcmpl-spec-toolcalls", body: {}, status: 400, param: "metadata" },
    { name: "update with a 65-character key", path: "/v1/chat/completions/chatcmpl-spec-toolcalls", body: { metadata: { ["k".repeat(65)]: "v" } }, status: 400, param: "metadata" },
    { name: "update with a 513-character value", path: "/v1/chat/completions/chatcmpl-spec-toolcalls", body: { metadata: { k: "v".repeat(513) } }, status: 400, param: "metadata" },
    { name: "no key", path: "/v1/chat/completions", auth: "none", status: 401, code: "invalid_api_key" },
    { name: "a bad key", path: "/v1/chat/completions/chatcmpl-spec-toolcalls", auth: "bad", status: 401, code: "invalid_api_key" },
    { name: "a bad key on create", path: "/v1/chat/completions", auth: "bad", body: { model: MODEL, messages: [{ role: "user", content: "x" }] }, status: 401, code: "invalid_api_key" },
    { name: "an unknown id", path: "/v1/chat/completions/chatcmpl-missing", status: 404 },
    { name: "an unknown id's messages", path: "/v1/chat/completions/chatcmpl-missing/messages", status: 404 },
    { name: "an unknown id's update", path: "/v1/chat/completions/chatcmpl-missing", body: { metadata: {} }, status: 404 },
    { name: "an unknown id's delete", path: "/v1/chat/completions/chatcmpl-missing", method: "DELETE", status: 404 },
    { name: "an unknown route", path: "/v1/nothing-here", status: 404 },
    { name: "an unknown route outside /v1", path: "/nothing-here", status: 404 },
    // docs/contract.md names no status for an id longer than any real one: a clear 4xx either way.
    { name: "a very long id", path: `/v1/chat/completions/${longId}`, status: [400, 404] },
    { name: "PUT on the collection", path: "/v1/chat/completions", method: "PUT", body: {}, status: 405 },
    { name: "DELETE on the collection", path: "/v1/chat/completions", method: "DELETE", status: 405 },
    { name: "PATCH on a completion", path: "/v1/chat/completions/chatcmpl-spec-toolcalls", method: "PATCH", body: { metadata: {} }, status: 405 },
    { name: "POST on messages", path: "/v1/chat/completions/chatcmpl-spec-toolcalls/messages", method: "POST", body: {}, status: 405 },
  ];

  for (const c of cases) {
    it(`answers ${c.name} with a conforming ${[c.status].flat().join(" or ")}`, async () => {
      const auth = c.auth === "none" ? null : c.auth === "bad" ? "sk-gw-not-a-real-key-0123456789" : key;
      const res = await call(c.path, { key: auth, body: c.body, method: c.method });
      const text = await res.text();
      expect([c.status].flat(), text).toContain(res.status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = JSON.parse(text);
      expect(specErrors("ErrorResponse", body)).toEqual([]);
      // docs/contract.md: exactly {error:{message,type,param,code}}.
      expect(Object.keys(body)).toEqual(["error"]);
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
      expect(body.error.type).toBe("invalid_request_error");
      if (c.param !== undefined) expect(body.error.param).toBe(c.param);
      if (c.code) expect(body.error.code).toBe(c.code);
      if (res.status === 405) expect(res.headers.get("allow")).toBeTruthy();
      if (c.auth === "bad") expect(text).not.toContain("sk-gw-not-a-real-key-0123456789");
    });
  }
});
