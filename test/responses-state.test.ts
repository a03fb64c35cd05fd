import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, callLive, createTeamWithKey, json, workerFetch } from "./helpers/gateway";
import { responsesErrors, streamEvents } from "./helpers/responses-spec";
import { captureQueue, deliver } from "./helpers/usage";
import { completionFixture, type HostCall, jsonResponse, mockTwoUpstreams, mockUpstream, sseResponse, twoUpstreamsEnv } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

// The gateway's own state across upstreams of both kinds, conversations, Codex-style requests,
// team isolation and long chains.

afterEach(restoreSpies);

/** alpha speaks the Responses API, beta only chat (and drops hosted tools). */
const env = twoUpstreamsEnv({ alpha: { api: "responses" }, beta: { api: "chat", drop_hosted_tools: true } });

let key: string;
let otherKey: string;
let client: OpenAI;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
  ({ key: otherKey } = await createTeamWithKey());
  client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(env), maxRetries: 0 });
});

let upstreamCounter = 0;
/** What a `responses` upstream answers: a message echoing how many input items it got, plus a reasoning item when asked. */
function responsesAnswer(call: HostCall): Response {
  const n = ++upstreamCounter;
  const output: any[] = [];
  if (call.body.reasoning) output.push({ id: `rs_up${n}`, type: "reasoning", summary: [], encrypted_content: `enc-${n}` });
  output.push({ id: `msg_up${n}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: `saw ${call.body.input.length}`, annotations: [], logprobs: [] }] });
  return jsonResponse({
    id: `resp_up${n}`,
    object: "response",
    created_at: 1_700_000_000,
    status: "completed",
    completed_at: 1_700_000_001,
    error: null,
    incomplete_details: null,
    instructions: call.body.instructions ?? null,
    model: call.body.model,
    output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    temperature: 1,
    top_p: 1,
    metadata: {},
    store: false,
    usage: { input_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 14 },
  });
}

const chatAnswer = (call: HostCall) =>
  jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: `chat saw ${call.body.messages.length}`, refusal: null }, finish_reason: "stop", logprobs: null }] }));

describe("a responses upstream", () => {
  it("gets the whole input, store: false and no state; the gateway's ids replace the upstream's; encrypted reasoning is carried", async () => {
    const upstream = mockTwoUpstreams({ alpha: responsesAnswer });
    const first = await client.responses.create({ model: "gpt-4o", input: "one", reasoning: { effort: "low" } });
    expect(responsesErrors("Response", JSON.parse(JSON.stringify({ ...first, output_text: undefined })))).toEqual([]);
    expect(first.id).toMatch(/^resp_/);
    expect(first.output.every((item) => !item.id?.includes("up"))).toBe(true);
    // Encrypted reasoning is kept but shown only when asked for.
    expect(first.output.find((item) => item.type === "reasoning")).not.toHaveProperty("encrypted_content");
    const second = await client.responses.create({ model: "gpt-4o", input: "two", previous_response_id: first.id, reasoning: { effort: "low" } });
    const third = await client.responses.create({ model: "gpt-4o", input: "three", previous_response_id: second.id });
    expect(third.output_text).toBe("saw 7");
    const [c1, c2] = upstream.calls;
    expect(c1.url).toBe("http://alpha.upstream.test/v1/responses");
    expect(c1.body.store).toBe(false);
    expect(c1.body.include).toEqual(["reasoning.encrypted_content"]);
    expect(c2.body).not.toHaveProperty("previous_response_id");
    // The upstream gets its own reasoning item back, with its id and encrypted content.
    expect(c2.body.input[1]).toEqual({ id: c1.body.input.length === 1 ? "rs_up" + (upstreamCounter - 2) : expect.any(String), type: "reasoning", summary: [], encrypted_content: expect.stringMatching(/^enc-/) });
    const withEncrypted = await client.responses.retrieve(first.id, { include: ["reasoning.encrypted_content"] });
    expect(withEncrypted.output.find((item) => item.type === "reasoning")).toHaveProperty("encrypted_content");
  });

  it("streams the upstream's events with the gateway's ids, and stores the final response", async () => {
    const events = [
      { type: "response.created", sequence_number: 0, response: { id: "resp_up", object: "response", created_at: 1, status: "in_progress", model: "gpt-4o", output: [] } },
      { type: "response.output_item.added", sequence_number: 1, output_index: 0, item: { id: "msg_up", type: "message", status: "in_progress", role: "assistant", content: [] } },
      { type: "response.output_text.delta", sequence_number: 2, item_id: "msg_up", output_index: 0, content_index: 0, delta: "Hi", logprobs: [] },
      { type: "response.output_item.done", sequence_number: 3, output_index: 0, item: { id: "msg_up", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Hi", annotations: [], logprobs: [] }] } },
      {
        type: "response.completed",
        sequence_number: 4,
        response: { id: "resp_up", object: "response", created_at: 1, status: "completed", model: "gpt-4o", output: [{ id: "msg_up", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Hi", annotations: [], logprobs: [] }] }], usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } },
      },
    ];
    mockTwoUpstreams({ alpha: () => sseResponse(events, { done: false }) });
    const { response, settled } = await callLive("/v1/responses", { key, env, body: { model: "gpt-4o", input: "hi", stream: true } });
    const seen = streamEvents(await response.text());
    await settled();
    const id = seen[0].response.id;
    expect(id).toMatch(/^resp_/);
    expect(seen.every((e) => !JSON.stringify(e).includes("_up"))).toBe(true);
    const stored = await json(await call(`/v1/responses/${id}`, { key, env }));
    expect(stored.output[0].content[0].text).toBe("Hi");
    expect(stored.output[0].id).toBe(seen[1].item.id);
  });

  it("a chain switches upstreams mid-way: responses, chat, responses", async () => {
    const upstream = mockTwoUpstreams({ alpha: responsesAnswer, beta: chatAnswer });
    const first = await client.responses.create({ model: "gpt-4o", input: "one" });
    const second = await client.responses.create({ model: "llama3", input: "two", previous_response_id: first.id });
    const third = await client.responses.create({ model: "gpt-4o", input: "three", previous_response_id: second.id });
    expect(upstream.calls.map((c) => c.host)).toEqual(["alpha", "beta", "alpha"]);
    expect(second.output_text).toBe("chat saw 3");
    expect(upstream.calls[1].body.messages.map((m: any) => m.content)).toEqual(["one", "saw 1", "two"]);
    expect(third.output_text).toBe("saw 5");
  });
});

describe("input the gateway refuses or reads with care", () => {
  it("refuses an item given twice and an over-long item id; `conversation: null` is no conversation", async () => {
    mockTwoUpstreams({ alpha: responsesAnswer });
    const first = await client.responses.create({ model: "gpt-4o", input: "one" });
    const dup = await call("/v1/responses", { key, env, body: { model: "gpt-4o", previous_response_id: first.id, input: [{ type: "item_reference", id: first.output[0].id }] } });
    expect(dup.status).toBe(400);
    expect((await json(dup)).error).toMatchObject({ type: "invalid_request_error", param: "input[0]" });
    // Too long in characters, or in bytes once URI-encoded (it names an R2 object).
    for (const id of ["x".repeat(300), "é".repeat(200)]) {
      const long = await call("/v1/responses", { key, env, body: { model: "gpt-4o", input: [{ id, type: "message", role: "user", content: "hi" }] } });
      expect(long.status).toBe(400);
      expect((await json(long)).error.type).toBe("invalid_request_error");
    }
    const answered = await json(await call("/v1/responses", { key, env, body: { model: "gpt-4o", input: "hi", conversation: null } }));
    expect(responsesErrors("Response", answered)).toEqual([]);
    expect(answered.conversation ?? null).toBeNull();
  });
});

describe("Codex-style requests", () => {
  const codexRequest = {
    model: "gpt-5-codex",
    instructions: "You are Codex.",
    store: false,
    stream: false,
    include: ["reasoning.encrypted_content"],
    reasoning: { effort: "medium", summary: "auto" },
    parallel_tool_calls: false,
    tool_choice: "auto",
    prompt_cache_key: "session-1",
    client_metadata: { originator: "codex_cli_rs" },
    tools: [
      { type: "namespace", name: "multi_agent_v1", description: "Agents", tools: [{ type: "function", name: "spawn_agent", description: "Spawn", strict: false, parameters: { type: "object", properties: { task: { type: "string" } } } }] },
      { type: "custom", name: "apply_patch", description: "Apply a patch", format: { type: "grammar", syntax: "lark", definition: "start: /.+/" } },
      { type: "web_search" },
    ],
    input: [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "sandbox: workspace-write" }] },
      { type: "message", id: "msg_0b2f4c1e-1111-2222-3333-444455556666", role: "user", content: [{ type: "input_text", text: "fix the bug" }] },
      { type: "reasoning", id: "rs_prev", summary: [], encrypted_content: "gAAAA-opaque" },
      { type: "function_call", namespace: "multi_agent_v1", name: "spawn_agent", call_id: "call_1", arguments: '{"task":"look"}' },
      { type: "function_call_output", call_id: "call_1", output: "found it" },
      { type: "custom_tool_call", name: "apply_patch", call_id: "call_2", input: "*** Begin Patch" },
      { type: "custom_tool_call_output", call_id: "call_2", output: "applied" },
    ],
  };

  it("passes through unchanged to a responses upstream, encrypted reasoning included", async () => {
    const upstream = mockTwoUpstreams({ alpha: responsesAnswer });
    const env2 = twoUpstreamsEnv({ alpha: { api: "responses", models: ["gpt-*"] } });
    const res = await call("/v1/responses", { key, env: env2, body: codexRequest });
    expect(res.status).toBe(200);
    expect(upstream.calls[0].body).toEqual(codexRequest);
  });

  it("store: false that falls back from a responses upstream to a chat one is translated there, under the gateway's id", async () => {
    const upstream = mockTwoUpstreams({
      alpha: () => jsonResponse({ error: { message: "overloaded", type: "server_error", param: null, code: null } }, 503),
      beta: () => jsonResponse(completionFixture({ choices: [{ index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content: "from beta" } }] })),
    });
    const res = await call("/v1/responses", { key, env: twoUpstreamsEnv({ alpha: { api: "responses" }, extra: { RETRY_ATTEMPTS: "1" } }), body: { model: "shared-model", input: "hi", store: false } });
    expect(res.status).toBe(200);
    expect(upstream.calls.map((c) => c.host)).toEqual(["alpha", "beta"]);
    expect(upstream.calls[0].body).toEqual({ model: "shared-model", input: "hi", store: false });
    expect(upstream.calls[1].body.messages).toEqual([{ role: "user", content: "hi" }]);
    const answer = await json(res);
    expect(answer.id).toMatch(/^resp_/);
    expect(answer.output).toEqual([expect.objectContaining({ type: "message", id: expect.stringMatching(/^msg_/), content: [expect.objectContaining({ type: "output_text", text: "from beta" })] })]);
    expect(responsesErrors("Response", answer)).toEqual([]);
  });

  it("is translated for a chat upstream: developer -> system, namespace and custom tools, hosted tools dropped and named", async () => {
    const upstream = mockTwoUpstreams({
      beta: (c) => {
        const spawn = c.body.tools.find((t: any) => t.function.name.includes("spawn_agent")).function.name;
        return jsonResponse(completionFixture({ choices: [{ index: 0, finish_reason: "tool_calls", logprobs: null, message: { role: "assistant", content: null, tool_calls: [{ id: "call_3", type: "function", function: { name: spawn, arguments: "{}" } }, { id: "call_4", type: "function", function: { name: "apply_patch", arguments: '{"input":"P2"}' } }] } }] }));
      },
    });
    const res = await call("/v1/responses", { key, env, body: { ...codexRequest, model: "llama3" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-dropped-tools")).toBe("web_search");
    const body = upstream.calls[0].body;
    expect(body.messages.slice(0, 3)).toEqual([
      { role: "system", content: "You are Codex." },
      { role: "system", content: "sandbox: workspace-write" },
      { role: "user", content: "fix the bug" },
    ]);
    expect(body.tools.map((t: any) => t.function.name).every((n: string) => /^[a-zA-Z0-9_-]{1,64}$/.test(n))).toBe(true);
    expect(body).not.toHaveProperty("client_metadata");
    expect(body).not.toHaveProperty("include");
    expect(body.parallel_tool_calls).toBe(false);
    const answer = await json(res);
    expect(answer.output).toEqual([
      expect.objectContaining({ type: "function_call", namespace: "multi_agent_v1", name: "spawn_agent", call_id: "call_3" }),
      expect.objectContaining({ type: "custom_tool_call", name: "apply_patch", call_id: "call_4", input: "P2" }),
    ]);
    expect(responsesErrors("Response", answer)).toEqual([]);
  });

  it("a chat upstream without drop_hosted_tools refuses web_search with 400 saying how to turn it off", async () => {
    const upstream = mockUpstream(() => jsonResponse({}));
    const res = await call("/v1/responses", { key, body: { ...codexRequest, model: "llama3" } });
    expect(res.status).toBe(400);
    const error = (await json(res)).error;
    expect(error.message).toContain('web_search = "disabled"');
    expect(error.param).toBe("tools");
    expect(upstream.calls).toEqual([]);
  });
});

describe("conversations", () => {
  it("conversations.* through the SDK, and `conversation` on responses.create prepends and appends", async () => {
    mockTwoUpstreams({ beta: chatAnswer });
    const conversation = await client.conversations.create({ metadata: { topic: "demo" }, items: [{ type: "message", role: "user", content: "earlier" }] });
    expect(responsesErrors("ConversationResource", conversation)).toEqual([]);
    expect(conversation.id).toMatch(/^conv_/);
    expect((await client.conversations.retrieve(conversation.id)).metadata).toEqual({ topic: "demo" });
    expect((await client.conversations.update(conversation.id, { metadata: { topic: "new" } })).metadata).toEqual({ topic: "new" });
    const response = await client.responses.create({ model: "llama3", input: "now", conversation: conversation.id });
    expect(response.output_text).toBe("chat saw 2");
    const items = await client.conversations.items.list(conversation.id, { order: "asc" });
    expect(items.data.map((i: any) => i.content[0].text)).toEqual(["earlier", "now", "chat saw 2"]);
    const raw = await json(await call(`/v1/conversations/${conversation.id}/items?order=asc&limit=2`, { key, env }));
    expect(responsesErrors("ConversationItemList", raw)).toEqual([]);
    expect(raw.has_more).toBe(true);
    const next = await json(await call(`/v1/conversations/${conversation.id}/items?order=asc&limit=2&after=${raw.last_id}`, { key, env }));
    expect(next.data.map((i: any) => i.content[0].text)).toEqual(["chat saw 2"]);
    const added = await client.conversations.items.create(conversation.id, {
      items: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "noted", annotations: [], logprobs: [] }], status: "completed" } as any],
    });
    const itemId = added.data[0].id!;
    expect((await client.conversations.items.retrieve(itemId, { conversation_id: conversation.id })).id).toBe(itemId);
    await client.conversations.items.delete(itemId, { conversation_id: conversation.id });
    expect((await call(`/v1/conversations/${conversation.id}/items/${itemId}`, { key, env })).status).toBe(404);
    const deleted = await client.conversations.delete(conversation.id);
    expect(responsesErrors("DeletedConversationResource", deleted)).toEqual([]);
    expect((await call(`/v1/conversations/${conversation.id}`, { key, env })).status).toBe(404);
  });
});

describe("team isolation", () => {
  it("no route and no way of referencing state reaches another team's responses or conversations", async () => {
    mockTwoUpstreams({ beta: chatAnswer });
    const mine = await client.responses.create({ model: "llama3", input: "secret" });
    const conversation = await client.conversations.create({ items: [{ type: "message", role: "user", content: "private" }] });
    const itemId = mine.output[0].id;
    for (const [path, method] of [
      [`/v1/responses/${mine.id}`, "GET"],
      [`/v1/responses/${mine.id}`, "DELETE"],
      [`/v1/responses/${mine.id}/input_items`, "GET"],
      [`/v1/conversations/${conversation.id}`, "GET"],
      [`/v1/conversations/${conversation.id}`, "DELETE"],
      [`/v1/conversations/${conversation.id}/items`, "GET"],
    ] as const) {
      expect([path, method, (await call(path, { key: otherKey, env, method })).status]).toEqual([path, method, 404]);
    }
    const update = await call(`/v1/conversations/${conversation.id}`, { key: otherKey, env, body: { metadata: { a: "b" } } });
    expect(update.status).toBe(404);
    const add = await call(`/v1/conversations/${conversation.id}/items`, { key: otherKey, env, body: { items: [{ role: "user", content: "x" }] } });
    expect(add.status).toBe(404);
    const previous = await call("/v1/responses", { key: otherKey, env, body: { model: "llama3", input: "x", previous_response_id: mine.id } });
    expect((await json(previous)).error.code).toBe("previous_response_not_found");
    const reference = await call("/v1/responses", { key: otherKey, env, body: { model: "llama3", input: [{ type: "item_reference", id: itemId }] } });
    expect(await json(reference)).toEqual({ error: { message: `Previous response with id '${itemId}' not found.`, type: "invalid_request_error", param: "input[0]", code: "previous_response_not_found" } });
    const viaConversation = await call("/v1/responses", { key: otherKey, env, body: { model: "llama3", input: "x", conversation: conversation.id } });
    expect(viaConversation.status).toBe(400);
    // Still all there for its own team.
    expect((await client.responses.retrieve(mine.id)).id).toBe(mine.id);
    expect((await client.conversations.items.list(conversation.id)).data.length).toBe(1);
  });
});

describe("usage and limits", () => {
  it("a response's usage is counted as completions usage", async () => {
    const { teamId, key: usageKey } = await createTeamWithKey();
    const queue = captureQueue();
    mockTwoUpstreams({ alpha: responsesAnswer });
    const res = await call("/v1/responses", { key: usageKey, env: { ...env, ...queue.env }, body: { model: "gpt-4o", input: "count me" } });
    expect(res.status).toBe(200);
    await deliver(queue.messages.filter((m) => m.kind === "usage"));
    const start = Math.floor(Date.now() / 86_400_000) * 86_400;
    const body = await json(await call(`/v1/organization/usage/completions?start_time=${start}&bucket_width=1d&limit=2&project_ids=${teamId}&group_by=model`, { key: ADMIN_TOKEN }));
    const results = body.data.flatMap((b: any) => b.results);
    expect(results).toEqual([expect.objectContaining({ input_tokens: 11, output_tokens: 3, num_model_requests: 1, model: "gpt-4o" })]);
  });
});

describe("long chains", () => {
  it("1,000 chained turns, each finding the one before it", async () => {
    mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: "k", refusal: null }, finish_reason: "stop", logprobs: null }] })));
    let previous: string | undefined;
    let notFound = 0;
    for (let turn = 0; turn < 1_000; turn++) {
      const res = await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "t", ...(previous ? { previous_response_id: previous } : {}) } });
      const body = await json(res);
      if (body.error?.code === "previous_response_not_found") notFound++;
      expect(res.status).toBe(200);
      previous = body.id;
    }
    expect(notFound).toBe(0);
    const items = await json(await call(`/v1/responses/${previous}/input_items?limit=1&order=asc`, { key }));
    expect(items.has_more).toBe(true);
  }, 600_000);
});
