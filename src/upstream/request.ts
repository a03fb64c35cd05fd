import { errorBody } from "../errors";
import type { CreateChatCompletionRequest } from "../schemas/openai";
import { forwardedHeaders, readBodyText } from "./client";

/**
 * The body sent upstream: the client's, minus what the gateway itself handles. `wantUsage`: the
 * gateway needs the stream's usage (to store it, count it, or settle a reservation).
 */
export function upstreamRequestBody(request: CreateChatCompletionRequest, store: boolean, wantUsage = true): { body: string; hideUsage: boolean } {
  // `store` and `metadata` stay here: the gateway is the store, and some compatible servers reject them.
  const { store: _store, metadata: _metadata, ...forwarded } = request;
  let hideUsage = false;
  if ((store || wantUsage) && request.stream === true && request.stream_options?.include_usage !== true) {
    // Ask for usage so the gateway has it; the client, who did not ask, will not see it.
    forwarded.stream_options = { ...request.stream_options, include_usage: true };
    hideUsage = true;
  }
  return { body: JSON.stringify(forwarded), hideUsage };
}

const MAX_WRAPPED_MESSAGE = 1_000;

/** An upstream error keeps its status and body; a body not in OpenAI's shape is wrapped in it, keeping its message. */
export async function relayUpstreamError(upstream: Response, idleMs: number): Promise<Response> {
  const headers = forwardedHeaders(upstream.headers);
  headers.set("content-type", "application/json");
  const text = await readBodyText(upstream, idleMs).catch(() => "");
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === "object" && parsed.error && typeof parsed.error === "object") {
    return new Response(text, { status: upstream.status, headers });
  }
  // e.g. vLLM's {"object":"error","message":…}, or a proxy's HTML page.
  const plainText = text.trim().startsWith("<") ? "" : text.trim();
  const detail = typeof parsed?.message === "string" ? parsed.message : typeof parsed?.error === "string" ? parsed.error : plainText;
  const message = detail ? `The upstream answered with status ${upstream.status}: ${detail.slice(0, MAX_WRAPPED_MESSAGE)}` : `The upstream answered with status ${upstream.status}.`;
  const type = upstream.status >= 500 ? "upstream_error" : "invalid_request_error";
  return new Response(JSON.stringify(errorBody(message, type, null, `upstream_${upstream.status}`)), { status: upstream.status, headers });
}
