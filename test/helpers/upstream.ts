import { vi } from "vitest";
import { track } from "./spies";

export const UPSTREAM = "http://upstream.test/v1";

export interface UpstreamCall {
  url: string;
  headers: Headers;
  body: any;
}

type Handler = (call: UpstreamCall) => Response | Promise<Response>;

/**
 * Mocks the upstream through `globalThis.fetch`; other hosts are refused. Returns the recorded calls
 * and the spy (restored by `spy.mockRestore()`, or by the file's restoreSpies()).
 */
export function mockUpstream(handler: Handler) {
  const calls: UpstreamCall[] = [];
  const spy = track(vi.spyOn(globalThis, "fetch")).mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (!request.url.startsWith(UPSTREAM)) throw new TypeError(`unexpected fetch to ${request.url}`);
    const text = await request.text();
    const call: UpstreamCall = { url: request.url, headers: request.headers, body: text ? JSON.parse(text) : undefined };
    calls.push(call);
    if (request.signal?.aborted) throw request.signal.reason;
    const response = await handler(call);
    const signal = init?.signal;
    if (!signal || !response.body) return response;
    return new Response(abortable(response.body, signal), response);
  });
  return { calls, spy };
}

/** As fetch does: aborting the request after its answer arrived errors the answer's body (and cancels the upstream's). */
function abortable(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      signal.addEventListener("abort", () => {
        controller.error(signal.reason);
        reader.cancel(signal.reason).catch(() => {});
      });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        // Already errored by an abort, or the body's own error, passed on.
        if (!signal.aborted) controller.error(err);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

let counter = 0;
export function completionFixture(overrides: Record<string, unknown> = {}) {
  return {
    id: `chatcmpl-fixture${++counter}${Date.now()}`,
    object: "chat.completion",
    created: 1_738_960_610,
    model: "gpt-4o-mini-2024-07-18",
    choices: [{ index: 0, message: { role: "assistant", content: "Hello there!", refusal: null }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    system_fingerprint: "fp_test",
    service_tier: "default",
    ...overrides,
  };
}

export function chunk(id: string, delta: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id,
    object: "chat.completion.chunk",
    created: 1_738_960_610,
    model: "gpt-4o-mini-2024-07-18",
    system_fingerprint: "fp_test",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
    ...extra,
  };
}

/** A typical streamed answer: role, content pieces, finish, usage chunk, [DONE]. */
export function textStreamChunks(id: string, pieces: string[], usage = { prompt_tokens: 5, completion_tokens: pieces.length, total_tokens: 5 + pieces.length }) {
  return [
    chunk(id, { role: "assistant", content: "" }),
    ...pieces.map((p) => chunk(id, { content: p })),
    { ...chunk(id, {}), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] },
    { ...chunk(id, {}), choices: [], usage },
  ];
}

export interface SseOptions {
  done?: boolean;
  delayMs?: number;
  /** Cut the stream with an error after this many events. */
  breakAfter?: number;
  /** Split each event across reads at this many characters, to test reassembly. */
  splitEvery?: number;
  status?: number;
  headers?: Record<string, string>;
}

export function sseResponse(events: unknown[], options: SseOptions = {}): Response {
  const encoder = new TextEncoder();
  const texts = events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`);
  if (options.done !== false) texts.push("data: [DONE]\n\n");
  const pieces = options.splitEvery
    ? texts.join("").match(new RegExp(`[\\s\\S]{1,${options.splitEvery}}`, "g"))!
    : texts;
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (options.breakAfter !== undefined && i >= options.breakAfter) {
        controller.error(new Error("upstream connection reset"));
        return;
      }
      if (i >= pieces.length) return controller.close();
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      controller.enqueue(encoder.encode(pieces[i++]));
    },
  });
  return new Response(body, {
    status: options.status ?? 200,
    headers: { "content-type": "text/event-stream", ...options.headers },
  });
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Reads an SSE body into its data payloads (and event names). */
export async function readSse(response: Response): Promise<{ event: string | null; data: string }[]> {
  const text = await response.text();
  return text
    .split(/\n\n/)
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? null;
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      return { event, data };
    });
}

/** An SSE body that sends one chunk, then holds [DONE] back until `release()`: to show nothing is buffered. */
export function gatedSseBody(firstContent: string): { body: ReadableStream<Uint8Array>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk("c", { content: firstContent }))}\n\n`));
      await gate;
      controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
    },
  });
  return { body, release };
}

// Two upstreams, told apart by host, for routing and fallback (UPSTREAMS).

export const UPSTREAM_A = "http://alpha.upstream.test/v1";
export const UPSTREAM_B = "http://beta.upstream.test/v1";

/** UPSTREAMS with two upstreams and their secrets: pass as `env` to `call`. */
export function twoUpstreamsEnv(overrides: { alpha?: Record<string, unknown>; beta?: Record<string, unknown>; extra?: Record<string, unknown> } = {}) {
  return {
    UPSTREAMS: JSON.stringify([
      { name: "alpha", base_url: UPSTREAM_A, api_key_env: "ALPHA_API_KEY", models: ["gpt-*", "text-embedding-*", "shared-*", "omni-moderation-*", "dall-e-*", "whisper-*", "tts-*"], ...overrides.alpha },
      { name: "beta", base_url: UPSTREAM_B, api_key_env: "BETA_API_KEY", models: ["llama*", "shared-*"], model_map: { llama3: "meta-llama/Llama-3-8B" }, ...overrides.beta },
    ]),
    ALPHA_API_KEY: "sk-alpha-secret",
    BETA_API_KEY: "sk-beta-secret",
    ...overrides.extra,
  } as Partial<Cloudflare.Env>;
}

export interface HostCall {
  host: "alpha" | "beta";
  method: string;
  url: string;
  headers: Headers;
  /** The body as bytes (multipart, binary) … */
  bytes: Uint8Array;
  /** … and parsed, when it is JSON. */
  body: any;
}

type HostHandler = (call: HostCall) => Response | Promise<Response>;

/**
 * Mocks both upstreams through `globalThis.fetch`: each host has its handler (a handler that throws
 * is a connection error); any other host is refused. Returns the recorded calls, in order.
 */
export function mockTwoUpstreams(handlers: { alpha?: HostHandler; beta?: HostHandler }) {
  const calls: HostCall[] = [];
  const spy = track(vi.spyOn(globalThis, "fetch")).mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    const host = request.url.startsWith(UPSTREAM_A) ? "alpha" : request.url.startsWith(UPSTREAM_B) ? "beta" : null;
    if (!host) throw new TypeError(`unexpected fetch to ${request.url}`);
    const bytes = new Uint8Array(await request.arrayBuffer());
    let body: any;
    if ((request.headers.get("content-type") ?? "").includes("json") && bytes.length > 0) body = JSON.parse(new TextDecoder().decode(bytes));
    const call: HostCall = { host, method: request.method, url: request.url, headers: request.headers, bytes, body };
    calls.push(call);
    if (request.signal?.aborted) throw request.signal.reason;
    const handler = handlers[host];
    if (!handler) throw new TypeError(`connection refused: ${host}`);
    return handler(call);
  });
  return { calls, spy };
}
