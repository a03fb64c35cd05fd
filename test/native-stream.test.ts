import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { env } from "cloudflare:test";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { UsageMessage } from "../src/queue/messages";
import { callLive, createTeamWithKey, drainPendingStores, workerFetch } from "./helpers/gateway";
import { restoreSpies } from "./helpers/spies";
import { chunk, mockUpstream, readSse, sseResponse, textStreamChunks } from "./helpers/upstream";
import { captureQueue, deliver } from "./helpers/usage";

// A stream the gateway does not rewrite (not stored) is the upstream's own body; what the gateway
// must know it reads from a copy. A stall or a cut aborts the upstream fetch, so the client's
// answer ends as a network error, which the SDKs raise, never as a clean end.

afterEach(() => {
  restoreSpies();
});

const messages = [{ role: "user" as const, content: "hi" }];
const IDLE = { UPSTREAM_IDLE_TIMEOUT_MS: "60" };

/** A stream that sends `pieces` and then falls silent until the request is aborted. */
function stallingUpstream(id: string, pieces: string[], aborted: { value: boolean }) {
  return mockUpstream(() => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk(id, { content: piece }))}\n\n`));
      },
      cancel() {
        aborted.value = true;
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
}

async function usageOf(captured: ReturnType<typeof captureQueue>) {
  const usage = captured.messages.filter((m): m is UsageMessage => m.kind === "usage");
  expect(usage).toHaveLength(1);
  return usage[0].event;
}

describe("a stream that is not rewritten", () => {
  it("is the upstream's own bytes, its usage read from a copy", async () => {
    const { key } = await createTeamWithKey();
    const captured = captureQueue();
    const upstream = mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-native", ["a", "b"], { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }), { splitEvery: 7 }));
    const { response, settled } = await callLive("/v1/chat/completions", { key, env: captured.env, body: { model: "gpt-4o-mini", messages, stream: true } });
    const text = await response.text();
    await settled();
    const expected = textStreamChunks("chatcmpl-native", ["a", "b"], { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 })
      .map((e) => `data: ${JSON.stringify(e)}\n\n`)
      .join("");
    expect(text).toBe(`${expected}data: [DONE]\n\n`);
    expect(upstream.calls[0].body.stream_options).toEqual({ include_usage: true });
    expect(await usageOf(captured)).toMatchObject({ inputTokens: 4, outputTokens: 2, unknownUsage: false });
  });

  it("ends as a network error the official SDK raises when the upstream stalls, aborts the upstream, and counts the request", async () => {
    const { teamId, key } = await createTeamWithKey();
    const captured = captureQueue();
    const aborted = { value: false };
    stallingUpstream("chatcmpl-stall", ["par", "tial"], aborted);
    const client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch({ ...IDLE, ...captured.env }), maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true });
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const part of stream) received.push(part.choices[0]?.delta?.content ?? "");
      })(),
    ).rejects.toThrow();
    await drainPendingStores();
    expect(received).toEqual(["par", "tial"]);
    expect(aborted.value).toBe(true);
    // Nothing stored, and the request counted once, its tokens unknown (never zero usage).
    expect(await env.DB.prepare("select count(*) as n from completions where team_id = ?").bind(teamId).first("n")).toBe(0);
    expect(await usageOf(captured)).toMatchObject({ unknownUsage: true });
    await deliver(captured.messages);
  });

  it("ends as a network error the official SDK raises when the upstream breaks off", async () => {
    const { key } = await createTeamWithKey();
    mockUpstream(() => sseResponse([chunk("chatcmpl-cut", { content: "par" }), chunk("chatcmpl-cut", { content: "tial" })], { breakAfter: 1 }));
    const client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(), maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true });
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const part of stream) received.push(part.choices[0]?.delta?.content ?? "");
      })(),
    ).rejects.toThrow();
    await drainPendingStores();
    // An error discards what the client had not read yet, as a network error would.
    expect(received).toEqual(["par"].slice(0, received.length));
  });

  it("surfaces an error in the AI SDK's chat provider when the upstream stalls", async () => {
    const { key } = await createTeamWithKey();
    const aborted = { value: false };
    stallingUpstream("chatcmpl-aisdk", ["par"], aborted);
    const provider = createOpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(IDLE) });
    const errors: unknown[] = [];
    const result = streamText({ model: provider.chat("gpt-4o-mini"), prompt: "hi", maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    let text = "";
    // The provider raises it from the stream, or reports it as an error part: either way the app sees an error.
    try {
      for await (const part of result.fullStream) {
        if (part.type === "text-delta") text += part.text;
        if (part.type === "error") errors.push(part.error);
      }
    } catch (err) {
      errors.push(err);
    }
    await drainPendingStores();
    expect(text).toBe("par");
    expect(errors.length).toBeGreaterThan(0);
    expect(aborted.value).toBe(true);
  });

  it("passes an upstream's error event on as it came, and counts the request", async () => {
    const { key } = await createTeamWithKey();
    const captured = captureQueue();
    const upstreamError = { error: { message: "overloaded", type: "server_error", param: null, code: null } };
    mockUpstream(() => sseResponse([chunk("chatcmpl-err", { content: "a" }), upstreamError], { done: false }));
    const { response, settled } = await callLive("/v1/chat/completions", { key, env: captured.env, body: { model: "gpt-4o-mini", messages, stream: true } });
    const events = await readSse(response);
    await settled();
    expect(events.map((e) => JSON.parse(e.data))).toEqual([expect.objectContaining({ id: "chatcmpl-err" }), upstreamError]);
    expect(await usageOf(captured)).toMatchObject({ unknownUsage: true });
  });
});
