import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { UsageMessage } from "../src/queue/messages";
import { call, callLive, createTeamWithKey, drainPendingStores, json, workerFetch } from "./helpers/gateway";
import { restoreSpies, track } from "./helpers/spies";
import { jsonResponse, mockUpstream } from "./helpers/upstream";
import { captureQueue, deliver } from "./helpers/usage";
import { responsesErrors, streamEvents } from "./helpers/responses-spec";

// A `store: false` request with no state goes to a `responses` upstream as it came, and its answer
// comes back as the upstream sent it; the gateway reads usage from a copy and watches for a stall.

afterEach(restoreSpies);

const RESPONSES = { UPSTREAM_API: "responses" } as Partial<Cloudflare.Env>;
const IDLE = { UPSTREAM_IDLE_TIMEOUT_MS: "60" } as Partial<Cloudflare.Env>;
const encoder = new TextEncoder();
const frame = (event: any) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

function finalResponse(text: string) {
  const output = [{ id: "msg_up", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [], logprobs: [] }] }];
  return { id: "resp_up", object: "response", created_at: 1, status: "completed", model: "gpt-4o", output, usage: { input_tokens: 21, input_tokens_details: { cached_tokens: 5 }, output_tokens: 8, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 29 } };
}

/** A Responses stream whose final event carries the whole output, `text` in it. */
function streamText(text: string) {
  const created = { type: "response.created", sequence_number: 0, response: { id: "resp_up", object: "response", created_at: 1, status: "in_progress", model: "gpt-4o", output: [] } };
  const delta = { type: "response.output_text.delta", sequence_number: 1, item_id: "msg_up", output_index: 0, content_index: 0, delta: text, logprobs: [] };
  return [created, delta, { type: "response.completed", sequence_number: 2, response: finalResponse(text) }].map(frame).join("");
}

function usageEvents(captured: ReturnType<typeof captureQueue>) {
  return captured.messages.filter((m): m is UsageMessage => m.kind === "usage").map((m) => m.event);
}

describe("store: false passed through to a responses upstream", () => {
  it("streams the upstream's own bytes and counts the usage of response.completed, however long the final event", async () => {
    const { key } = await createTeamWithKey();
    const captured = captureQueue();
    // Longer than the tail first looked at, so the final event must be found whole.
    const text = streamText("x".repeat(40_000));
    const pieces = text.match(/[\s\S]{1,1000}/g)!;
    const upstream = mockUpstream(() => {
      let i = 0;
      const body = new ReadableStream<Uint8Array>({ pull: (c) => (i < pieces.length ? c.enqueue(encoder.encode(pieces[i++])) : c.close()) });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const { response, settled } = await callLive("/v1/responses", { key, env: { ...RESPONSES, ...captured.env }, body: { model: "gpt-4o", input: "hi", store: false, stream: true } });
    expect(await response.text()).toBe(text);
    await settled();
    expect(upstream.calls[0].url).toMatch(/\/responses$/);
    const [event, ...more] = usageEvents(captured);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ inputTokens: 21, cachedInputTokens: 5, outputTokens: 8, unknownUsage: false });
    await deliver(captured.messages);
  });

  it("aborts the upstream on a stall, so the SDK raises a network error, and counts the request once", async () => {
    const { key } = await createTeamWithKey();
    const captured = captureQueue();
    const aborted = { value: false };
    mockUpstream(() => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(streamText("partial").split("\n\n").slice(0, 2).join("\n\n") + "\n\n"));
        },
        cancel() {
          aborted.value = true;
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch({ ...RESPONSES, ...IDLE, ...captured.env }), maxRetries: 0 });
    const stream = await client.responses.create({ model: "gpt-4o", input: "hi", store: false, stream: true });
    const types: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    ).rejects.toThrow();
    await drainPendingStores();
    expect(aborted.value).toBe(true);
    expect(types).not.toContain("response.completed");
    const [event, ...more] = usageEvents(captured);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ unknownUsage: true });
    await deliver(captured.messages);
  });

  it("passes a JSON answer through unchanged and counts its usage", async () => {
    const { key } = await createTeamWithKey();
    const captured = captureQueue();
    const body = JSON.stringify(finalResponse("plain"));
    mockUpstream(() => jsonResponse(JSON.parse(body)));
    const { response, settled } = await callLive("/v1/responses", { key, env: { ...RESPONSES, ...captured.env }, body: { model: "gpt-4o", input: "hi", store: false } });
    expect(await response.text()).toBe(body);
    await settled();
    const [event, ...more] = usageEvents(captured);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ inputTokens: 21, cachedInputTokens: 5, outputTokens: 8, unknownUsage: false });
    await deliver(captured.messages);
  });
});

describe("the gateway's own id", () => {
  it("is not minted for a pass-through that only responses upstreams can answer, and is for a stored request", async () => {
    const { key } = await createTeamWithKey();
    mockUpstream(() => jsonResponse(finalResponse("plain")));
    // The id's MAC is the one HMAC on this path.
    const sign = track(vi.spyOn(crypto.subtle, "sign"));
    const passed = await json(await call("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi", store: false } }));
    expect(passed.id).toBe("resp_up");
    expect(sign).not.toHaveBeenCalled();
    const stored = await json(await call("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi" } }));
    expect(stored.id).not.toBe("resp_up");
    expect(sign).toHaveBeenCalled();
    await drainPendingStores();
  });
});

describe("a stored stream from a responses upstream", () => {
  // The upstream sends its final event and then keeps the connection open (or breaks it): the answer is whole.
  function finalThenOpen(text: string, end: "open" | "break") {
    let sent = false;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          return controller.enqueue(encoder.encode(streamText(text)));
        }
        if (end === "break") controller.error(new Error("connection reset"));
        return new Promise(() => {});
      },
    });
  }

  it("is stored when the client leaves once it has response.completed", async () => {
    const { key } = await createTeamWithKey();
    mockUpstream(() => new Response(finalThenOpen("kept", "open"), { headers: { "content-type": "text/event-stream" } }));
    const { response, settled } = await callLive("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi", stream: true } });
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("response.completed")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await settled();
    const id = /"id":"(resp_[^"]+)"/.exec(text)![1];
    const stored = await json(await call(`/v1/responses/${id}`, { key, env: RESPONSES }));
    expect(stored.status).toBe("completed");
    expect(stored.output[0].content[0].text).toBe("kept");
  });

  it("is stored, and ends without an error event, when the upstream breaks off after response.completed", async () => {
    const { key } = await createTeamWithKey();
    mockUpstream(() => new Response(finalThenOpen("whole", "break"), { headers: { "content-type": "text/event-stream" } }));
    const { response, settled } = await callLive("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi", stream: true } });
    const text = await response.text();
    await settled();
    expect(text).toContain("response.completed");
    expect(text).not.toContain("event: error");
    const id = /"id":"(resp_[^"]+)"/.exec(text)![1];
    expect((await json(await call(`/v1/responses/${id}`, { key, env: RESPONSES }))).output[0].content[0].text).toBe("whole");
  });
});

describe("a stored stream from a responses upstream, event by event", () => {
  /** OpenAI's events for one message, in order; `cut` ends the body (an error) after the deltas. */
  function messageStream(deltas: string[], cut = false) {
    const part = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });
    const item = (status: string, text: string | null) => ({ id: "msg_up1", type: "message", status, role: "assistant", content: text === null ? [] : [part(text)] });
    const text = deltas.join("");
    const response = (status: string, output: unknown[]) => ({ ...finalResponse(text), status, output, ...(status === "completed" ? {} : { usage: null }) });
    const at = { item_id: "msg_up1", output_index: 0, content_index: 0 };
    const events: any[] = [
      { type: "response.created", response: response("in_progress", []) },
      { type: "response.in_progress", response: response("in_progress", []) },
      { type: "response.output_item.added", output_index: 0, item: item("in_progress", null) },
      { type: "response.content_part.added", ...at, part: part("") },
      // A delta that mentions an id in its text: only the event's own item_id is the gateway's.
      ...deltas.map((delta) => ({ type: "response.output_text.delta", ...at, delta, logprobs: [], obfuscation: "x" })),
      ...(cut
        ? []
        : [
            { type: "response.output_text.done", ...at, text, logprobs: [] },
            { type: "response.content_part.done", ...at, part: part(text) },
            { type: "response.output_item.done", output_index: 0, item: item("completed", text) },
            { type: "response.completed", response: response("completed", [item("completed", text)]) },
          ]),
    ].map(({ type, ...fields }, sequence_number) => ({ type, sequence_number, ...fields }));
    const frames = events.map(frame);
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < frames.length) return controller.enqueue(encoder.encode(frames[i++]));
        if (cut) return controller.error(new Error("connection reset"));
        controller.close();
      },
    });
    return { events, body };
  }

  it("names every item by the gateway's id, keeps each event's fields and numbers, and validates", async () => {
    const { key } = await createTeamWithKey();
    const deltas = ["Hello", ' "item_id":"msg_up1"', " \\", " done"];
    const upstream = messageStream(deltas);
    mockUpstream(() => new Response(upstream.body, { headers: { "content-type": "text/event-stream" } }));
    const { response, settled } = await callLive("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi", stream: true } });
    const events = streamEvents(await response.text());
    await settled();
    // The response objects are this fixture's, not the gateway's making: the events around them are checked.
    for (const event of events.filter((e) => !("response" in e))) expect(responsesErrors("ResponseStreamEvent", event), event.type).toEqual([]);
    const responseId = events[0].response.id;
    const itemId = events.find((event) => event.type === "response.output_item.added").item.id;
    expect(responseId).toMatch(/^resp_/);
    expect(itemId).not.toBe("msg_up1");
    expect(events.map((event) => event.type)).toEqual(upstream.events.map((event) => event.type));
    for (const [i, event] of events.entries()) {
      const sent = upstream.events[i];
      if (sent.item_id === undefined) continue;
      // The upstream's event with only its item_id changed.
      expect(event).toEqual({ ...sent, item_id: itemId });
    }
    expect(events.filter((event) => event.type === "response.output_text.delta").map((event) => event.delta)).toEqual(deltas);
    const stored = await json(await call(`/v1/responses/${responseId}`, { key, env: RESPONSES }));
    expect(stored.output.map((item: any) => [item.id, item.content[0].text])).toEqual([[itemId, deltas.join("")]]);
  });

  it("numbers the error event after the last event the client had when the upstream breaks off", async () => {
    const { key } = await createTeamWithKey();
    const upstream = messageStream(["one", " two", " three"], true);
    mockUpstream(() => new Response(upstream.body, { headers: { "content-type": "text/event-stream" } }));
    const { response, settled } = await callLive("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi", stream: true } });
    const events = streamEvents(await response.text());
    await settled();
    const error = events.at(-1);
    expect(error.type).toBe("error");
    expect(responsesErrors("ResponseStreamEvent", error)).toEqual([]);
    expect(error.sequence_number).toBe(upstream.events.at(-1).sequence_number + 1);
    expect(events.slice(0, -1).map((event) => event.sequence_number)).toEqual(upstream.events.map((event) => event.sequence_number));
  });
});

describe("encrypted reasoning in a stream from a responses upstream", () => {
  function reasoningStream() {
    const reasoning = { id: "rs_up", type: "reasoning", summary: [], encrypted_content: "enc-secret" };
    const message = finalResponse("thought").output[0];
    const events = [
      { type: "response.created", sequence_number: 0, response: { id: "resp_up", object: "response", created_at: 1, status: "in_progress", model: "gpt-4o", output: [] } },
      { type: "response.output_item.added", sequence_number: 1, output_index: 0, item: reasoning },
      { type: "response.output_item.done", sequence_number: 2, output_index: 0, item: reasoning },
      { type: "response.completed", sequence_number: 3, response: { ...finalResponse("thought"), output: [reasoning, message] } },
    ];
    return events.map(frame).join("");
  }

  it("is shown only when the client asked for it in `include`, and kept either way", async () => {
    const { key } = await createTeamWithKey();
    mockUpstream(() => new Response(reasoningStream(), { headers: { "content-type": "text/event-stream" } }));
    const { response, settled } = await callLive("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi", stream: true, reasoning: { effort: "low" } } });
    const text = await response.text();
    await settled();
    expect(text).toContain("response.completed");
    expect(text).not.toContain("enc-secret");
    const id = /"id":"(resp_[^"]+)"/.exec(text)![1];
    const asked = await json(await call(`/v1/responses/${id}?include[]=reasoning.encrypted_content`, { key, env: RESPONSES }));
    expect(asked.output[0].encrypted_content).toBe("enc-secret");

    mockUpstream(() => new Response(reasoningStream(), { headers: { "content-type": "text/event-stream" } }));
    const shown = await callLive("/v1/responses", { key, env: RESPONSES, body: { model: "gpt-4o", input: "hi", stream: true, reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"] } });
    expect(await shown.response.text()).toContain("enc-secret");
    await shown.settled();
  });
});
