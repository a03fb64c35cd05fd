import { describe, expect, it } from "vitest";
import { CompletionAccumulator } from "../src/chat/accumulate";
import { SseParser } from "../src/lib/sse";
import { proxyChatStream } from "../src/chat/stream-proxy";
import { chunk, gatedSseBody, sseResponse, textStreamChunks } from "./helpers/upstream";

const fallback = { id: "fallback", created: 1, model: "m" };

describe("SseParser", () => {
  it("reassembles events split across reads at any point", () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\n: comment\n\nevent: error\ndata: {"c":3}\n\ndata: [DONE]\n\n';
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      expect(events.map((e) => [e.event, e.data])).toEqual([
        [null, '{"a":1}'],
        [null, '{"b":2}'],
        ["error", '{"c":3}'],
        [null, "[DONE]"],
      ]);
    }
  });

  it("joins multi-line data and keeps an unterminated last event for flush", () => {
    const parser = new SseParser();
    expect(parser.push("data: line1\ndata: line2\n\ndata: tail")).toEqual([{ event: null, data: "line1\nline2", raw: "data: line1\ndata: line2" }]);
    expect(parser.flush().map((e) => e.data)).toEqual(["tail"]);
  });
});

describe("CompletionAccumulator", () => {
  it("concatenates content and refusal per choice index", () => {
    const acc = new CompletionAccumulator();
    acc.add({ id: "c1", created: 5, model: "gpt", choices: [{ index: 0, delta: { role: "assistant", content: "Hel" } }, { index: 1, delta: { refusal: "No" } }] });
    acc.add({ id: "c1", choices: [{ index: 1, delta: { refusal: "pe" } }, { index: 0, delta: { content: "lo" }, finish_reason: null }] });
    acc.add({ id: "c1", choices: [{ index: 0, delta: {}, finish_reason: "stop" }, { index: 1, delta: {}, finish_reason: "content_filter" }] });
    const result = acc.result(fallback);
    expect(result).toMatchObject({ id: "c1", object: "chat.completion", created: 5, model: "gpt" });
    expect(result.choices).toEqual([
      { index: 0, message: { role: "assistant", content: "Hello", refusal: null }, finish_reason: "stop", logprobs: null },
      { index: 1, message: { role: "assistant", content: null, refusal: "Nope" }, finish_reason: "content_filter", logprobs: null },
    ]);
  });

  it("merges tool-call deltas by index: id, type and name from the first delta, arguments concatenated", () => {
    const acc = new CompletionAccumulator();
    const delta = (tool_calls: unknown[]) => ({ id: "c", choices: [{ index: 0, delta: { tool_calls } }] });
    acc.add(delta([{ index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: "" } }]));
    acc.add(delta([{ index: 1, id: "call_b", type: "function", function: { name: "get_time", arguments: '{"tz":' } }]));
    acc.add(delta([{ index: 0, function: { arguments: '{"city":' } }]));
    acc.add(delta([{ index: 0, function: { arguments: '"Paris"}' } }, { index: 1, function: { arguments: '"UTC"}' } }]));
    acc.add({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] });
    const message = acc.result(fallback).choices[0].message;
    expect(message.tool_calls).toEqual([
      { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "call_b", type: "function", function: { name: "get_time", arguments: '{"tz":"UTC"}' } },
    ]);
    expect(acc.result(fallback).choices[0].finish_reason).toBe("tool_calls");
  });

  it("appends logprobs and takes usage from the usage chunk", () => {
    const acc = new CompletionAccumulator();
    const lp = (token: string) => ({ token, logprob: -0.1, bytes: [1], top_logprobs: [] });
    acc.add({ id: "c", choices: [{ index: 0, delta: { content: "a" }, logprobs: { content: [lp("a")], refusal: null } }] });
    acc.add({ id: "c", choices: [{ index: 0, delta: { content: "b" }, logprobs: { content: [lp("b")], refusal: null } }] });
    acc.add({ id: "c", choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
    const result = acc.result(fallback);
    expect(result.choices[0].logprobs).toEqual({ content: [lp("a"), lp("b")], refusal: null });
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  it("keeps the last non-null finish_reason", () => {
    const acc = new CompletionAccumulator();
    acc.add({ id: "c", choices: [{ index: 0, delta: { content: "x" }, finish_reason: "length" }] });
    acc.add({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: null }] });
    expect(acc.result(fallback).choices[0].finish_reason).toBe("length");
  });
});

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("proxyChatStream", () => {
  it("rebuilds a completion from chunks split mid-event", async () => {
    const upstream = sseResponse(textStreamChunks("chatcmpl-x", ["Hel", "lo", " world"]), { splitEvery: 17 });
    const { stream, outcome } = proxyChatStream(upstream.body!, { idleTimeoutMs: 5_000, accumulate: true, hideUsage: false });
    const text = await drain(stream);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const result = await outcome;
    expect(result.status).toBe("complete");
    if (result.status !== "complete") return;
    expect(result.completion!.choices[0].message.content).toBe("Hello world");
    expect(result.completion!.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it("hides the usage chunk and usage fields when the gateway asked for them", async () => {
    const events = textStreamChunks("chatcmpl-x", ["a"]).map((c) => ({ usage: null, ...c }));
    const { stream, outcome } = proxyChatStream(sseResponse(events).body!, { idleTimeoutMs: 5_000, accumulate: true, hideUsage: true });
    const text = await drain(stream);
    expect(text).not.toContain("usage");
    expect(text).toContain('"content":"a"');
    const result = await outcome;
    expect(result.status === "complete" && result.completion!.usage?.total_tokens).toBe(6);
  });

  it("ends with an error event and no completion when [DONE] never comes", async () => {
    const { stream, outcome } = proxyChatStream(sseResponse([chunk("c", { content: "partial" })], { done: false }).body!, {
      idleTimeoutMs: 5_000,
      accumulate: true,
      hideUsage: false,
    });
    const text = await drain(stream);
    expect(text).toContain("event: error");
    expect(text).toContain('"code":"upstream_incomplete"');
    expect(await outcome).toEqual({ status: "failed", reason: "no_done", usage: null });
  });

  it("ends with an error event when the upstream connection breaks", async () => {
    const events = textStreamChunks("c", ["a", "b", "c"]);
    const { stream, outcome } = proxyChatStream(sseResponse(events, { breakAfter: 2 }).body!, { idleTimeoutMs: 5_000, accumulate: true, hideUsage: false });
    const text = await drain(stream);
    expect(text).toContain('"code":"upstream_disconnected"');
    expect((await outcome).status).toBe("failed");
  });

  it("times out a silent stream with an error event", async () => {
    const events = textStreamChunks("c", ["a"]);
    const { stream, outcome } = proxyChatStream(sseResponse(events, { delayMs: 200 }).body!, { idleTimeoutMs: 50, accumulate: true, hideUsage: false });
    const text = await drain(stream);
    expect(text).toContain('"code":"upstream_timeout"');
    expect(await outcome).toEqual({ status: "failed", reason: "idle_timeout", usage: null });
  });

  it("rewrites every chunk's id to the minted one, and keeps the upstream's for tracing", async () => {
    const { stream, outcome } = proxyChatStream(sseResponse(textStreamChunks("dup", ["a", "b"])).body!, {
      idleTimeoutMs: 5_000,
      accumulate: true,
      hideUsage: false,
      id: "chatcmpl-new",
    });
    const text = await drain(stream);
    expect(text).not.toContain('"id":"dup"');
    expect(text.match(/"id":"chatcmpl-new"/g)).toHaveLength(5);
    const result = await outcome;
    expect(result.status === "complete" && result.completion!.id).toBe("chatcmpl-new");
    expect(result.status === "complete" && result.upstreamId).toBe("dup");
  });

  it("counts a stream as complete when the client leaves after data: [DONE], or the upstream breaks off after it", async () => {
    const texts = textStreamChunks("chatcmpl-x", ["whole"]).map((e) => `data: ${JSON.stringify(e)}\n\n`).concat("data: [DONE]\n\n");
    const afterDone = (end: "open" | "break") => {
      let sent = false;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!sent) {
            sent = true;
            return controller.enqueue(new TextEncoder().encode(texts.join("")));
          }
          if (end === "break") controller.error(new Error("connection reset"));
          return new Promise(() => {});
        },
      });
    };
    const left = proxyChatStream(afterDone("open"), { idleTimeoutMs: 5_000, accumulate: true, hideUsage: false, id: "chatcmpl-left" });
    const reader = left.stream.getReader();
    let text = "";
    while (!text.includes("[DONE]")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const leftOutcome = await left.outcome;
    expect(leftOutcome.status === "complete" && leftOutcome.completion!.choices[0].message.content).toBe("whole");

    const broken = proxyChatStream(afterDone("break"), { idleTimeoutMs: 5_000, accumulate: true, hideUsage: false });
    const brokenText = await drain(broken.stream);
    expect(brokenText).not.toContain("event: error");
    const brokenOutcome = await broken.outcome;
    expect(brokenOutcome.status === "complete" && brokenOutcome.completion!.choices[0].message.content).toBe("whole");
  });

  it("passes each event on before the next one arrives", async () => {
    const { body: upstream, release } = gatedSseBody("first");
    const { stream } = proxyChatStream(upstream, { idleTimeoutMs: 5_000, accumulate: false, hideUsage: false });
    const reader = stream.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("first");
    release();
    await reader.cancel();
  });
});
