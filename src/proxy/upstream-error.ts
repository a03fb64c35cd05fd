import { errorBody } from "../errors";
import { readBodyText } from "./idle-timeout";
import { forwardedHeaders } from "./upstream-headers";

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
