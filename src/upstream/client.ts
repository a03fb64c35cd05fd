import type { GatewayConfig } from "../env";
import { ApiError } from "../errors";

/** Headers of an upstream answer that a client of OpenAI's API relies on (rate limits, request ids). */
const FORWARDED_HEADER = /^(retry-after|retry-after-ms|x-request-id|openai-[\w-]+|x-ratelimit-[\w-]+)$/i;

export function forwardedHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  upstream.forEach((value, name) => {
    if (FORWARDED_HEADER.test(name)) headers.set(name, value);
  });
  return headers;
}

export class UpstreamTimeoutError extends Error {}

/**
 * POSTs a chat completion request upstream. Resolves once the upstream's headers arrive; throws
 * ApiError 504 if that takes longer than `upstreamTimeoutMs`, and 502 if it cannot be reached.
 * The client's request.signal is not wired in: without the `enable_request_signal` flag it never
 * fires in Workers, and when a client goes away the runtime cancels the request's pending work
 * (all but waitUntil) itself; a stream's cancel reaches the upstream through stream-proxy.ts.
 */
export async function postChatCompletion(config: GatewayConfig, body: string): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamTimeoutError("first byte")), config.upstreamTimeoutMs);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  // The client's own credentials never go upstream: only the gateway's key does.
  if (config.upstreamApiKey) headers.authorization = `Bearer ${config.upstreamApiKey}`;
  try {
    return await fetch(`${config.upstreamBaseUrl}/chat/completions`, { method: "POST", headers, body, signal: controller.signal });
  } catch (err) {
    if (controller.signal.reason instanceof UpstreamTimeoutError) {
      throw new ApiError(504, `The upstream did not answer within ${config.upstreamTimeoutMs} ms.`, "timeout_error", null, "upstream_timeout");
    }
    throw new ApiError(502, "The upstream could not be reached.", "upstream_error", null, "upstream_unreachable");
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a body, throwing UpstreamTimeoutError (and cancelling the body) after `idleMs` of silence.
 * One watchdog timer per body checks the time of the last piece, which costs far less than a timer
 * and a race per read; a timeout is noticed within 1.25 × idleMs.
 */
export class IdleTimeoutReader {
  private lastPieceAt = Date.now();
  private timedOut = false;
  private readonly watchdog: ReturnType<typeof setInterval>;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    idleMs: number,
  ) {
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastPieceAt < idleMs) return;
      this.timedOut = true;
      this.cancel(new UpstreamTimeoutError("idle")).catch(() => {});
    }, Math.max(5, Math.ceil(idleMs / 4)));
  }

  async read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    try {
      const result = await this.reader.read();
      if (this.timedOut) throw new UpstreamTimeoutError("idle");
      if (result.done) this.stop();
      this.lastPieceAt = Date.now();
      return result;
    } catch (err) {
      this.stop();
      throw this.timedOut ? new UpstreamTimeoutError("idle") : err;
    }
  }

  cancel(reason?: unknown): Promise<void> {
    this.stop();
    return this.reader.cancel(reason);
  }

  private stop(): void {
    clearInterval(this.watchdog);
  }
}

/** Reads a whole non-streamed body, bounded by the idle timeout between pieces. */
export async function readBodyText(response: Response, idleMs: number): Promise<string> {
  if (!response.body) return "";
  const reader = new IdleTimeoutReader(response.body.getReader(), idleMs);
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    if (err instanceof UpstreamTimeoutError) {
      throw new ApiError(504, `The upstream stopped sending for ${idleMs} ms.`, "timeout_error", null, "upstream_timeout");
    }
    throw new ApiError(502, "The upstream connection broke before the answer was complete.", "upstream_error", null, "upstream_disconnected");
  }
  return text + decoder.decode();
}
