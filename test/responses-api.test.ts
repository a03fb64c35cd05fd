import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, createTeamWithKey, drainPendingStores, json, workerFetch } from "./helpers/gateway";
import { responsesErrors, streamEvents } from "./helpers/responses-spec";
import { chunk, completionFixture, jsonResponse, mockUpstream, sseResponse, textStreamChunks, UPSTREAM } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

// The Responses API through the official SDK, on a chat upstream (the default test upstream speaks chat).

let key: string;
let client: OpenAI;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
  client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(), maxRetries: 0 });
});
afterEach(restoreSpies);

const answer = (content: string, usage = { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 }) =>
  jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }], usage }));

describe("responses.create on a chat upstream", () => {
  it("answers a Response that validates, stores it, and retrieves it", async () => {
    const upstream = mockUpstream(() => answer("Hello!"));
    const response = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", instructions: "Be kind." });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe("Hello!");
    expect(responsesErrors("Response", JSON.parse(JSON.stringify({ ...response, output_text: undefined })))).toEqual([]);
    expect(upstream.calls[0].url).toBe(`${UPSTREAM}/chat/completions`);
    expect(upstream.calls[0].body.messages).toEqual([
      { role: "system", content: "Be kind." },
      { role: "user", content: "Hi" },
    ]);
    const again = await client.responses.retrieve(response.id);
    expect(again.output_text).toBe("Hello!");
    expect(again.usage).toMatchObject({ input_tokens: 7, output_tokens: 2, total_tokens: 9 });
  });

  it("streams events in order, validating, and the stored response is the streamed one", async () => {
    mockUpstream(() => sseResponse(textStreamChunks("c1", ["Hel", "lo"])));
    const stream = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", stream: true });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    await drainPendingStores();
    for (const event of events) expect(responsesErrors("ResponseStreamEvent", event)).toEqual([]);
    const completed = events.at(-1);
    expect(completed.type).toBe("response.completed");
    const stored = await client.responses.retrieve(completed.response.id);
    expect(stored.output_text).toBe("Hello");
  });

  it("chains three turns with previous_response_id; instructions are not inherited", async () => {
    const upstream = mockUpstream((c) => answer(`turn ${c.body.messages.length}`));
    const first = await client.responses.create({ model: "gpt-4o-mini", input: "one", instructions: "sys" });
    const second = await client.responses.create({ model: "gpt-4o-mini", input: "two", previous_response_id: first.id });
    const third = await client.responses.create({ model: "gpt-4o-mini", input: "three", previous_response_id: second.id });
    expect(upstream.calls[2].body.messages).toEqual([
      { role: "user", content: "one" },
      { role: "assistant", content: first.output_text },
      { role: "user", content: "two" },
      { role: "assistant", content: second.output_text },
      { role: "user", content: "three" },
    ]);
    expect(third.previous_response_id).toBe(second.id);
    const items = [];
    for await (const item of client.responses.inputItems.list(third.id, { order: "asc", limit: 2 })) items.push(item);
    expect(items.map((i: any) => i.type + ":" + (i.content?.[0]?.text ?? ""))).toEqual(["message:one", `message:${first.output_text}`, "message:two", `message:${second.output_text}`, "message:three"]);
    const desc = await client.responses.inputItems.list(third.id);
    expect(desc.data[0].id).toBe(items.at(-1)!.id);
    expect(responsesErrors("ResponseItemList", await json(await call(`/v1/responses/${third.id}/input_items?limit=2`, { key })))).toEqual([]);
  });

  it("function tools round trip through translation", async () => {
    const upstream = mockUpstream((c) =>
      c.body.messages.at(-1).role === "tool"
        ? answer("It is sunny.")
        : jsonResponse(
            completionFixture({
              choices: [{ index: 0, finish_reason: "tool_calls", logprobs: null, message: { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }] } }],
            }),
          ),
    );
    const tools = [{ type: "function" as const, name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }];
    const first = await client.responses.create({ model: "gpt-4o-mini", input: "weather in Paris?", tools });
    const call_ = first.output.find((item) => item.type === "function_call")!;
    expect(call_).toMatchObject({ type: "function_call", name: "weather", call_id: "call_1", arguments: '{"city":"Paris"}' });
    const second = await client.responses.create({ model: "gpt-4o-mini", previous_response_id: first.id, tools, input: [{ type: "function_call_output", call_id: "call_1", output: "sunny" }] });
    expect(second.output_text).toBe("It is sunny.");
    expect(upstream.calls[1].body.messages.slice(-2)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ]);
  });

  it("replays a stored response as events (stream=true, starting_after), and estimates input tokens", async () => {
    mockUpstream(() => answer("Replayed."));
    const response = await client.responses.create({ model: "gpt-4o-mini", input: "Hi" });
    const res = await call(`/v1/responses/${response.id}?stream=true`, { key });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = streamEvents(await res.text());
    for (const event of events) expect(responsesErrors("ResponseStreamEvent", event)).toEqual([]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.at(-1).response.output[0].content[0].text).toBe("Replayed.");
    const after = streamEvents(await (await call(`/v1/responses/${response.id}?stream=true&starting_after=3`, { key })).text());
    expect(after.map((e) => e.sequence_number)).toEqual(events.slice(4).map((e) => e.sequence_number));
    const counted = await json(await call("/v1/responses/input_tokens", { key, body: { model: "gpt-4o-mini", input: "two", previous_response_id: response.id } }));
    expect(responsesErrors("TokenCountsResource", counted)).toEqual([]);
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it("refuses background: true and /v1/responses/compact, each with its reason", async () => {
    const upstream = mockUpstream(() => answer("x"));
    const background = await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "x", background: true } });
    expect(background.status).toBe(400);
    expect((await json(background)).error.param).toBe("background");
    const compact = await call("/v1/responses/compact", { key, body: { model: "gpt-4o-mini", input: "x" } });
    expect(compact.status).toBe(404);
    expect((await json(compact)).error.message).toContain("not built yet");
    expect(upstream.calls).toEqual([]);
  });

  it("deletes; then get, delete, input_items are 404 and previous_response_id is 400, in OpenAI's words", async () => {
    mockUpstream(() => answer("x"));
    const response = await client.responses.create({ model: "gpt-4o-mini", input: "Hi" });
    const deleted = await client.responses.delete(response.id);
    expect(deleted).toEqual({ id: response.id, object: "response.deleted", deleted: true });
    const raw = await call(`/v1/responses/${response.id}`, { key, method: "DELETE" });
    expect(raw.status).toBe(404);
    expect(await json(raw)).toEqual({ error: { message: `Response with id '${response.id}' not found.`, type: "invalid_request_error", param: null, code: null } });
    for (const path of [`/v1/responses/${response.id}`, `/v1/responses/${response.id}/input_items`]) expect((await call(path, { key })).status).toBe(404);
    const chained = await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "again", previous_response_id: response.id } });
    expect(chained.status).toBe(400);
    expect(await json(chained)).toEqual({
      error: { message: `Previous response with id '${response.id}' not found.`, type: "invalid_request_error", param: "previous_response_id", code: "previous_response_not_found" },
    });
  });
});
