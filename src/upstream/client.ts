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
 */
export async function postChatCompletion(config: GatewayConfig, body: string, clientSignal?: AbortSignal): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamTimeoutError("first byte")), config.upstreamTimeoutMs);
  const onClientAbort = () => controller.abort(clientSignal?.reason);
  clientSignal?.addEventListener("abort", onClientAbort);
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
    clientSignal?.removeEventListener("abort", onClientAbort);
  }
}

/** Reads the next piece of a body, or throws UpstreamTimeoutError after `idleMs` of silence (and cancels the body). */
export async function readWithIdleTimeout(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UpstreamTimeoutError("idle")), idleMs);
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } catch (err) {
    if (err instanceof UpstreamTimeoutError) reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a whole non-streamed body, bounded by the idle timeout between pieces. */
export async function readBodyText(response: Response, idleMs: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await readWithIdleTimeout(reader, idleMs);
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
