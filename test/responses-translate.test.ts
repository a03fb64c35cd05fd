import { describe, expect, it } from "vitest";
import { ChatToResponses, translateChatStream } from "../src/responses/chat-stream";
import { replayEvents } from "../src/responses/events";
import { responseFromChat } from "../src/responses/from-chat";
import { responseIdOfItem } from "../src/responses/item-ids";
import { responseSkeleton } from "../src/responses/response-object";
import { toChatRequest } from "../src/responses/to-chat";
import { chatToolName, chatTools } from "../src/responses/tools";
import { ApiError } from "../src/errors";
import { responsesErrors, streamEvents } from "./helpers/responses-spec";
import { chunk, sseResponse, textStreamChunks } from "./helpers/upstream";

// The translation between the Responses API and chat completions, rule by rule, as pure functions.

const UPSTREAM = { name: "local", dropHostedTools: false };
const RESP_ID = "resp_01jkq8w2x3y4z5a6b7c8d9e0f1";
const translate = (request: Record<string, any>, items: any[] = []) => toChatRequest({ model: "m", ...request }, items, UPSTREAM);

describe("request: Responses -> chat", () => {
  it("instructions become a system message, a string input a user message", () => {
    const { body } = translate({ instructions: "Be brief." }, [{ role: "user", content: "Hi" }]);
    expect(body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ]);
  });

  it("message items: input_text/output_text become text, input_image becomes image_url, developer becomes system", () => {
    const { body } = translate({}, [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "rules" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "what is this?" }, { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "low" }] },
      { type: "message", role: "assistant", id: "msg_1", status: "completed", content: [{ type: "output_text", text: "a cat", annotations: [], logprobs: [] }] },
    ]);
    expect(body.messages).toEqual([
      { role: "system", content: "rules" },
      { role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } }] },
      { role: "assistant", content: "a cat" },
    ]);
  });

  it("consecutive function_call items join one assistant message; outputs become tool messages", () => {
    const { body } = translate({}, [
      { role: "user", content: "weather in Paris and Rome?" },
      { type: "function_call", call_id: "call_a", name: "weather", arguments: '{"city":"Paris"}' },
      { type: "function_call", call_id: "call_b", name: "weather", arguments: '{"city":"Rome"}' },
      { type: "function_call_output", call_id: "call_a", output: "sunny" },
      { type: "function_call_output", call_id: "call_b", output: [{ type: "input_text", text: "rain" }] },
    ]);
    expect(body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          { id: "call_b", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "sunny" },
      { role: "tool", tool_call_id: "call_b", content: "rain" },
    ]);
  });

  it("a function_call right after an assistant message joins that message", () => {
    const { body } = translate({}, [
      { role: "assistant", content: [{ type: "output_text", text: "Let me check." }] },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
    ]);
    expect(body.messages).toEqual([{ role: "assistant", content: "Let me check.", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] }]);
  });

  it("function tools become chat tools; tool_choice and parallel_tool_calls are mapped", () => {
    const { body } = translate({
      tools: [{ type: "function", name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true }],
      tool_choice: { type: "function", name: "weather" },
      parallel_tool_calls: false,
    });
    expect(body.tools).toEqual([{ type: "function", function: { name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true } }]);
    expect(body.tool_choice).toEqual({ type: "function", function: { name: "weather" } });
    expect(body.parallel_tool_calls).toBe(false);
  });

  it("namespace tools are flattened into valid chat names and their replayed calls use them", () => {
    const request = {
      tools: [{ type: "namespace", name: "multi_agent.v1", description: "agents", tools: [{ type: "function", name: "spawn agent", parameters: { type: "object", properties: {} } }] }],
    };
    const { body, tools } = translate(request, [{ type: "function_call", call_id: "c1", namespace: "multi_agent.v1", name: "spawn agent", arguments: "{}" }]);
    const name = body.tools[0].function.name;
    expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(tools.byChatName.get(name)).toEqual({ kind: "function", name: "spawn agent", namespace: "multi_agent.v1" });
    expect(body.messages[0].tool_calls[0].function.name).toBe(name);
    expect(chatToolName("x".repeat(100), "ns")).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it("custom tools become functions of one string; their calls and outputs replay", () => {
    const { body } = translate(
      { tools: [{ type: "custom", name: "apply_patch", description: "Apply a patch", format: { type: "grammar", syntax: "lark", definition: "start: /.+/" } }] },
      [
        { type: "custom_tool_call", call_id: "c1", name: "apply_patch", input: "*** Begin Patch" },
        { type: "custom_tool_call_output", call_id: "c1", output: "done" },
      ],
    );
    expect(body.tools[0].function.parameters).toMatchObject({ type: "object", properties: { input: { type: "string" } }, required: ["input"] });
    expect(body.tools[0].function.description).toContain("start: /.+/");
    expect(body.messages).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "apply_patch", arguments: '{"input":"*** Begin Patch"}' } }] },
      { role: "tool", tool_call_id: "c1", content: "done" },
    ]);
  });

  it("text.format, max_output_tokens, reasoning.effort and stream map; include_usage is always on", () => {
    const { body } = translate({
      text: { format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true } },
      max_output_tokens: 50,
      reasoning: { effort: "low", summary: "auto" },
      stream: true,
      client_metadata: { x: "y" },
      prompt_cache_key: "k",
      include: [],
      store: false,
    });
    expect(body).toEqual({
      model: "m",
      messages: [],
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
      max_tokens: 50,
      reasoning_effort: "low",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("reasoning items are dropped", () => {
    const { body } = translate({}, [
      { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAA" },
      { role: "user", content: "hi" },
    ]);
    expect(body.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("hosted tools are refused with how to turn them off, or dropped with drop_hosted_tools", () => {
    let error: unknown;
    try {
      translate({ tools: [{ type: "web_search" }, { type: "function", name: "f" }] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).param).toBe("tools");
    expect((error as ApiError).message).toContain("'web_search'");
    expect((error as ApiError).message).toContain('web_search = "disabled"');
    expect((error as ApiError).message).toContain("drop_hosted_tools");
    const dropped = chatTools([{ type: "web_search" }, { type: "function", name: "f" }], { name: "x", dropHostedTools: true });
    expect(dropped.dropped).toEqual(["web_search"]);
    expect(dropped.tools.map((t) => t.function.name)).toEqual(["f"]);
  });
});

describe("answer: chat -> Responses", () => {
  const request = { model: "m", tools: [{ type: "function", name: "weather", parameters: { type: "object", properties: {} } }, { type: "custom", name: "apply_patch" }] };
  const tools = chatTools(request.tools, UPSTREAM);

  it("a choice becomes a message item; tool calls become function_call / custom_tool_call items; usage has every detail", () => {
    const response = responseFromChat(
      responseSkeleton(request, RESP_ID, "m"),
      {
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              role: "assistant",
              content: "Checking.",
              tool_calls: [
                { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
                { id: "call_2", type: "function", function: { name: "apply_patch", arguments: '{"input":"patch"}' } },
              ],
            },
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
      },
      tools,
    );
    expect(response.status).toBe("completed");
    expect(response.output).toEqual([
      { id: expect.stringMatching(/^msg_/), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Checking.", annotations: [], logprobs: [] }] },
      { id: expect.stringMatching(/^fc_/), type: "function_call", status: "completed", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
      { id: expect.stringMatching(/^ctc_/), type: "custom_tool_call", status: "completed", call_id: "call_2", name: "apply_patch", input: "patch" },
    ]);
    expect(response.usage).toEqual({ input_tokens: 10, input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 });
    for (const item of response.output) expect(responseIdOfItem(item.id)).toBe(RESP_ID);
    expect(responsesErrors("Response", response)).toEqual([]);
  });

  it("a namespace function call maps back with its namespace", () => {
    const nsRequest = { model: "m", tools: [{ type: "namespace", name: "multi_agent_v1", tools: [{ type: "function", name: "spawn", parameters: { type: "object", properties: {} } }] }] };
    const nsTools = chatTools(nsRequest.tools, UPSTREAM);
    const chatName = [...nsTools.byChatName.keys()][0];
    const response = responseFromChat(responseSkeleton(nsRequest, RESP_ID, "m"), { choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: chatName, arguments: "{}" } }] } }] }, nsTools);
    expect(response.output[0]).toMatchObject({ type: "function_call", namespace: "multi_agent_v1", name: "spawn" });
    expect(responsesErrors("Response", response)).toEqual([]);
  });

  it("finish_reason length makes the response incomplete", () => {
    const response = responseFromChat(responseSkeleton({ model: "m" }, RESP_ID, "m"), { choices: [{ index: 0, finish_reason: "length", message: { role: "assistant", content: "cut" } }] }, chatTools(undefined, UPSTREAM));
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(responsesErrors("Response", response)).toEqual([]);
  });
});

async function translateStream(upstream: Response, request: Record<string, any> = { model: "m" }, idleTimeoutMs = 60_000) {
  const tools = chatTools(request.tools, UPSTREAM);
  const state = new ChatToResponses(responseSkeleton(request, RESP_ID, "m"), tools);
  const { stream, outcome } = translateChatStream(upstream.body!, state, { idleTimeoutMs });
  const text = await new Response(stream).text();
  return { text, events: streamEvents(text), outcome: await outcome };
}

describe("stream: chat SSE -> Responses events", () => {
  it("text: OpenAI's order, sequence numbers from 0, no [DONE], every event valid", async () => {
    const { text, events, outcome } = await translateStream(sseResponse(textStreamChunks("c1", ["Hel", "lo"])));
    expect(text).not.toContain("[DONE]");
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    for (const event of events) expect(responsesErrors("ResponseStreamEvent", event)).toEqual([]);
    const completed = events.at(-1).response;
    expect(completed.output[0].content[0].text).toBe("Hello");
    expect(completed.usage).toMatchObject({ input_tokens: 5, output_tokens: 2, total_tokens: 7 });
    expect(outcome.status).toBe("complete");
  });

  it("tool calls stream as function_call_arguments deltas, each item its own output_index", async () => {
    const request = { model: "m", tools: [{ type: "function", name: "f", parameters: { type: "object", properties: {} } }, { type: "custom", name: "apply_patch" }] };
    const upstream = sseResponse([
      chunk("c", { role: "assistant", content: "On it." }),
      chunk("c", { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }),
      chunk("c", { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
      chunk("c", { tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
      chunk("c", { tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "apply_patch", arguments: '{"input":"P"}' } }] }),
      { ...chunk("c", {}), choices: [{ index: 0, delta: {}, finish_reason: "tool_calls", logprobs: null }] },
      { ...chunk("c", {}), choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
    ]);
    const { events } = await translateStream(upstream, request);
    for (const event of events) expect(responsesErrors("ResponseStreamEvent", event)).toEqual([]);
    expect(events.filter((e) => e.type === "response.output_item.added").map((e) => [e.output_index, e.item.type])).toEqual([
      [0, "message"],
      [1, "function_call"],
      [2, "custom_tool_call"],
    ]);
    expect(events.filter((e) => e.type === "response.function_call_arguments.delta").map((e) => e.delta)).toEqual(['{"a":', "1}"]);
    expect(events.find((e) => e.type === "response.function_call_arguments.done")).toMatchObject({ name: "f", arguments: '{"a":1}', output_index: 1 });
    expect(events.find((e) => e.type === "response.custom_tool_call_input.done")).toMatchObject({ input: "P", output_index: 2 });
    const output = events.at(-1).response.output;
    expect(output.map((i: any) => i.type)).toEqual(["message", "function_call", "custom_tool_call"]);
    expect(output[1]).toMatchObject({ call_id: "call_1", arguments: '{"a":1}' });
  });

  it("finish_reason length ends with response.incomplete", async () => {
    const { events } = await translateStream(sseResponse([chunk("c", { content: "x" }), { ...chunk("c", {}), choices: [{ index: 0, delta: {}, finish_reason: "length", logprobs: null }] }]));
    expect(events.at(-1).type).toBe("response.incomplete");
    expect(events.at(-1).response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    for (const event of events) expect(responsesErrors("ResponseStreamEvent", event)).toEqual([]);
  });

  it("an upstream error event, a break or a stream without its end give an `error` event", async () => {
    const errored = await translateStream(sseResponse([chunk("c", { content: "x" }), { error: { message: "overloaded", type: "server_error", code: "overloaded" } }]));
    expect(errored.events.at(-1)).toMatchObject({ type: "error", code: "overloaded", message: "overloaded" });
    expect(errored.outcome.status).toBe("failed");
    const broken = await translateStream(sseResponse(textStreamChunks("c", ["a", "b"]), { breakAfter: 2 }));
    expect(broken.events.at(-1)).toMatchObject({ type: "error", code: "upstream_disconnected" });
    const cut = await translateStream(sseResponse([chunk("c", { content: "x" })], { done: false }));
    expect(cut.events.at(-1)).toMatchObject({ type: "error", code: "upstream_incomplete" });
    for (const run of [errored, broken, cut]) for (const event of run.events) expect(responsesErrors("ResponseStreamEvent", event)).toEqual([]);
  });

  it("an upstream that breaks off after data: [DONE] still gives the whole response", async () => {
    const chunks = textStreamChunks("c", ["a", "b"]);
    const { events, outcome } = await translateStream(sseResponse(chunks, { breakAfter: chunks.length + 1 }));
    expect(events.at(-1)).toMatchObject({ type: "response.completed" });
    expect(events.map((e) => e.type)).not.toContain("error");
    expect(outcome.status).toBe("complete");
  });

  it("an upstream that goes silent past the idle timeout gives an `error` event", async () => {
    const silent = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk("c", { content: "x" }))}\n\n`));
      },
    });
    const { events, outcome } = await translateStream(new Response(silent), { model: "m" }, 20);
    expect(events.at(-1)).toMatchObject({ type: "error", code: "upstream_timeout" });
    expect(outcome.status).toBe("failed");
  });

  it("replay of a stored response gives the same kind of events, all valid", async () => {
    const { events: live } = await translateStream(sseResponse(textStreamChunks("c1", ["Hel", "lo"])));
    const replayed = streamEvents(replayEvents(live.at(-1).response).join(""));
    expect(replayed.map((e) => e.type)).toEqual(live.map((e) => e.type).filter((t, i, all) => t !== "response.output_text.delta" || all[i - 1] !== t));
    for (const event of replayed) expect(responsesErrors("ResponseStreamEvent", event)).toEqual([]);
  });

  it("costs few bytes more than the chat stream it translates", async () => {
    const pieces = Array.from({ length: 64 }, (_, i) => `tok${i} `);
    const chat = sseResponse(textStreamChunks("chatcmpl-abcdefghijklmnopqrstu", pieces));
    const chatBytes = (await chat.clone().text()).length;
    const { text } = await translateStream(chat);
    expect(text.length / chatBytes).toBeLessThan(1.5);
  });
});
