import { describe, expect, it } from "vitest";
import { findTopLevelKeys, isEmptyArray, memberCut } from "../src/lib/json-bytes";
import { SseByteScanner, type SseBatch } from "../src/lib/sse-bytes";
import { proxyChatStream } from "../src/chat/stream-proxy";
import { chunk, textStreamChunks } from "./helpers/upstream";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);

/** Every way to cut `data` in two, plus one byte at a time. */
function splits(data: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [];
  for (let at = 1; at < data.length; at++) ways.push([data.slice(0, at), data.slice(at)]);
  ways.push(Array.from(data, (b) => Uint8Array.of(b)));
  return ways;
}

function bodyOf(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < pieces.length) controller.enqueue(pieces[i++]);
      else controller.close();
    },
  });
}

interface SeenEvent {
  text: string;
  data: string | null;
  dataLines: number;
  errorType: boolean;
}

function seen(batch: SseBatch | null): SeenEvent[] {
  if (!batch) return [];
  return batch.events.map((e) => ({
    text: decoder.decode(batch.bytes.subarray(e.start, e.end)),
    data: e.dataLines === 1 ? decoder.decode(batch.bytes.subarray(e.dataStart, e.dataEnd)) : null,
    dataLines: e.dataLines,
    errorType: e.errorType,
  }));
}

function scanAll(pieces: Uint8Array[]): { events: SeenEvent[]; passed: string } {
  const scanner = new SseByteScanner();
  const events: SeenEvent[] = [];
  let passed = "";
  for (const piece of pieces) {
    const batch = scanner.push(piece);
    events.push(...seen(batch));
    passed += decoder.decode(batch.bytes.subarray(0, batch.complete));
  }
  events.push(...seen(scanner.flush()));
  return { events, passed };
}

describe("SseByteScanner", () => {
  const stream = 'data: {"a":"é✓"}\n\ndata: {"b":2}\r\n\r\n: comment\n\nevent: error\ndata: {"c":3}\n\ndata: x\rdata: y\r\rdata: [DONE]\n\n';
  const expected = [
    { text: 'data: {"a":"é✓"}\n\n', data: '{"a":"é✓"}', dataLines: 1, errorType: false },
    { text: 'data: {"b":2}\r\n\r\n', data: '{"b":2}', dataLines: 1, errorType: false },
    { text: ": comment\n\n", data: null, dataLines: 0, errorType: false },
    { text: 'event: error\ndata: {"c":3}\n\n', data: '{"c":3}', dataLines: 1, errorType: true },
    { text: "data: x\rdata: y\r\r", data: null, dataLines: 2, errorType: false },
    { text: "data: [DONE]\n\n", data: "[DONE]", dataLines: 1, errorType: false },
  ];

  it("finds the same events, LF, CRLF or CR, however the bytes are split across reads", () => {
    for (const pieces of splits(bytes(stream))) {
      const { events, passed } = scanAll(pieces);
      expect(events).toEqual(expected);
      expect(passed).toBe(stream);
    }
  });

  it("holds back an unfinished event, and gives it at the end as SSE clients do", () => {
    const scanner = new SseByteScanner();
    const first = scanner.push(bytes('data: {"a":1}\n\ndata: {"b"'));
    expect(first.complete).toBe('data: {"a":1}\n\n'.length);
    expect(seen(first).map((e) => e.data)).toEqual(['{"a":1}']);
    expect(seen(scanner.push(bytes(":2}"))).map((e) => e.data)).toEqual([]);
    expect(seen(scanner.flush()).map((e) => e.data)).toEqual(['{"b":2}']);
    expect(scanner.flush()).toBeNull();
  });

  it("does not end an event at a CR whose LF has not arrived yet", () => {
    const scanner = new SseByteScanner();
    expect(scanner.push(bytes("data: a\r\n\r")).events).toEqual([]);
    expect(seen(scanner.push(bytes("\ndata: b\r\n\r\n"))).map((e) => e.data)).toEqual(["a", "b"]);
  });
});

describe("findTopLevelKeys", () => {
  const keys = [bytes("id"), bytes("usage"), bytes("choices")];
  const text = (data: Uint8Array, span: { value: number; end: number } | null) => (span ? decoder.decode(data.subarray(span.value, span.end)) : null);

  it("finds only top-level keys, not a tool call's id or an escaped \"id\" in content", () => {
    const json = JSON.stringify({
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta: { content: 'say "id": "x", "usage": 1', tool_calls: [{ id: "call_1", usage: 2 }] } }],
      id: "chatcmpl-1",
      usage: null,
    });
    const data = bytes(json);
    const found = findTopLevelKeys(data, 0, data.length, keys)!;
    expect(found.map((span) => text(data, span))).toEqual(['"chatcmpl-1"', "null", JSON.stringify(JSON.parse(json).choices)]);
  });

  it("tells a usage object from usage: null, with spaces anywhere JSON allows them", () => {
    const data = bytes('  { "id" : "c" ,\n "usage" :\t{"total_tokens": 3} , "choices" : [ ] }  ');
    const [id, usage, choices] = findTopLevelKeys(data, 0, data.length, keys)!;
    expect(text(data, id)).toBe('"c"');
    expect(text(data, usage)).toBe('{"total_tokens": 3}');
    expect(isEmptyArray(data, choices!.value, choices!.end)).toBe(true);
    const nullUsage = bytes('{"usage":null}');
    expect(text(nullUsage, findTopLevelKeys(nullUsage, 0, nullUsage.length, [bytes("usage")])![0])).toBe("null");
  });

  it("reports absent keys as null, and a non-object or malformed chunk as null", () => {
    const data = bytes('{"a":[1,{"id":2}],"b":"\\"id\\""}');
    expect(findTopLevelKeys(data, 0, data.length, keys)).toEqual([null, null, null]);
    for (const bad of ["[1]", '"id"', '{"id"', '{"id":"x"', '{"id" "x"}', "{id:1}", ""]) {
      expect(findTopLevelKeys(bytes(bad), 0, bad.length, keys)).toBeNull();
    }
  });

  it("cuts a member with the comma before it, or the one after it when it comes first", () => {
    const cut = (json: string) => {
      const data = bytes(json);
      const [usage] = findTopLevelKeys(data, 0, data.length, [bytes("usage")])!;
      const [start, end] = memberCut(data, usage!, data.length);
      return json.slice(0, start) + json.slice(end);
    };
    expect(cut('{"id":"c","usage":null}')).toBe('{"id":"c"}');
    expect(cut('{"usage":{"a":1}, "id":"c"}')).toBe('{"id":"c"}');
    expect(cut('{"id":"c","usage":null,"x":1}')).toBe('{"id":"c","x":1}');
  });
});

describe("proxyChatStream at byte level", () => {
  const usage = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };
  const upstreamChunks = [
    { ...chunk("chatcmpl-up", { role: "assistant", content: "" }), usage: null },
    { ...chunk("chatcmpl-up", { content: 'He said "id": "no" – ünïcödé ✓' }), usage: null },
    { ...chunk("chatcmpl-up", { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] }), usage: null },
    { ...chunk("chatcmpl-up", {}), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], usage: null },
    { ...chunk("chatcmpl-up", {}), choices: [], usage },
  ];
  const sse = (chunks: unknown[]) => chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n";

  async function run(pieces: Uint8Array[], options: { id?: string; hideUsage?: boolean; accumulate?: boolean }) {
    const { stream, outcome } = proxyChatStream(bodyOf(pieces), { idleTimeoutMs: 5_000, accumulate: false, hideUsage: false, ...options });
    return { text: await new Response(stream).text(), outcome: await outcome };
  }

  it("passes a stream that needs no change through byte for byte, and still reports its usage", async () => {
    const input = bytes(sse(upstreamChunks));
    for (const pieces of splits(input).filter((_, i) => i % 13 === 0)) {
      const { text, outcome } = await run(pieces, {});
      expect(text).toBe(sse(upstreamChunks));
      expect(outcome).toEqual({ status: "complete", completion: null, upstreamId: null, usage });
    }
  });

  it("rewrites only each chunk's own id and cuts the usage the client did not ask for, however the bytes are split", async () => {
    const expected = sse(
      upstreamChunks
        .filter((c) => c.choices.length > 0)
        .map(({ usage: _hidden, ...c }) => ({ ...c, id: "chatcmpl-gw" })),
    );
    expect(expected).toContain('"id":"call_1"');
    expect(expected).toContain('\\"id\\": \\"no\\"');
    const input = bytes(sse(upstreamChunks));
    for (const pieces of splits(input).filter((_, i) => i % 7 === 0)) {
      const { text, outcome } = await run(pieces, { id: "chatcmpl-gw", hideUsage: true, accumulate: true });
      expect(text).toBe(expected);
      expect(outcome.usage).toEqual(usage);
      expect(outcome.status === "complete" && outcome.completion).toMatchObject({ id: "chatcmpl-gw", usage, choices: [{ finish_reason: "stop" }] });
    }
  });

  it("reports usage null when no usage chunk came, and usage: null is not a usage", async () => {
    const { outcome } = await run([bytes(sse(upstreamChunks.slice(0, 4)))], {});
    expect(outcome).toEqual({ status: "complete", completion: null, upstreamId: null, usage: null });
  });

  it("handles CRLF streams and multi-line data events", async () => {
    const crlf = textStreamChunks("chatcmpl-up", ["a"]).map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join("") + "data: [DONE]\r\n\r\n";
    const { text, outcome } = await run([bytes(crlf)], { id: "chatcmpl-gw" });
    expect(text).not.toContain("chatcmpl-up");
    expect(outcome.status === "complete" && outcome.upstreamId).toBe("chatcmpl-up");
    expect(text.match(/"id":"chatcmpl-gw"/g)).toHaveLength(4);
    expect(outcome.usage).toEqual({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 });

    const multiLine = 'data: {"id":"chatcmpl-up",\ndata: "choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n';
    const passed = await run([bytes(multiLine)], {});
    expect(passed.text).toBe(multiLine);
    const renamed = await run([bytes(multiLine)], { id: "chatcmpl-gw", accumulate: true });
    expect(renamed.text).toBe('data: {"id":"chatcmpl-gw","choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n');
    expect(renamed.outcome.status === "complete" && renamed.outcome.completion!.choices[0].message.content).toBe("x");
  });

  it("gives an id to a chunk that has none, and does not take \"error\" in content for an error", async () => {
    const input = 'data: {"choices":[{"index":0,"delta":{"content":"\\"error\\": 1, \\"error\\""}}]}\n\ndata: {}\n\ndata: [DONE]\n\n';
    const { text, outcome } = await run([bytes(input)], { id: "chatcmpl-gw" });
    expect(text).toBe('data: {"id":"chatcmpl-gw","choices":[{"index":0,"delta":{"content":"\\"error\\": 1, \\"error\\""}}]}\n\ndata: {"id":"chatcmpl-gw"}\n\ndata: [DONE]\n\n');
    expect(outcome.status).toBe("complete");
  });

  it("relays an error event as it came and fails the outcome", async () => {
    const input = `data: ${JSON.stringify(chunk("c", { content: "a" }))}\n\ndata: {"error":{"message":"boom","type":"server_error","param":null,"code":null}}\n\n`;
    const { text, outcome } = await run([bytes(input)], { id: "chatcmpl-gw" });
    expect(text).toBe(input.replace('"id":"c"', '"id":"chatcmpl-gw"'));
    expect(outcome).toEqual({ status: "failed", reason: "upstream_error_event", usage: null });
  });
});
