import { describe, expect, it } from "vitest";
import { observeJsonUsage } from "../src/usage/observe-usage";

const encoder = new TextEncoder();

function body(text: string, cutEvery = text.length): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + cutEvery));
      at += cutEvery;
    },
  });
}

const answer = JSON.stringify({
  id: "chatcmpl-1",
  choices: [{ index: 0, message: { role: "assistant", content: 'a "usage": {"prompt_tokens": 999} ✓' }, finish_reason: "stop" }],
  usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 2 } },
});

describe("observeJsonUsage", () => {
  it("passes the body through unchanged and reads its top-level usage, however it is cut", async () => {
    for (const cutEvery of [1, 7, 64, answer.length]) {
      const observed = observeJsonUsage(body(answer, cutEvery));
      expect(await new Response(observed.stream).text()).toBe(answer);
      expect(await observed.usage).toEqual({ inputTokens: 12, cachedInputTokens: 2, outputTokens: 5 });
    }
  });

  it("gives null usage for a body without usage, or not JSON", async () => {
    for (const text of ['{"id":"c","usage":null}', '{"id":"c"}', "<html>bad gateway</html>", ""]) {
      const observed = observeJsonUsage(body(text));
      expect(await new Response(observed.stream).text()).toBe(text);
      expect(await observed.usage).toBeNull();
    }
  });

  it("still counts an answer the upstream finished when the client went away before the end", async () => {
    const observed = observeJsonUsage(body(answer, 10));
    const reader = observed.stream.getReader();
    await reader.read();
    await reader.cancel("gone");
    expect(await observed.usage).toEqual({ inputTokens: 12, cachedInputTokens: 2, outputTokens: 5 });
  });

  it("gives null usage when the upstream's body breaks, and the client sees the break", async () => {
    const bytes = encoder.encode(answer);
    let sent = false;
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new Error("connection reset"));
        sent = true;
        controller.enqueue(bytes.slice(0, 40));
      },
    });
    const observed = observeJsonUsage(broken);
    await expect(new Response(observed.stream).text()).rejects.toThrow();
    expect(await observed.usage).toBeNull();
  });
});
