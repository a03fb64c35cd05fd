import type { GatewayConfig, UpstreamConfig } from "../config";
import { upstreamTimeout, upstreamUnreachable } from "../errors";
import { UpstreamTimeoutError } from "../upstream/client";

export interface ForwardRequest {
  /** The path under the upstream's base URL, e.g. "/chat/completions". */
  path: string;
  /** The model the client asked for; it picks the upstream. */
  model: string;
  /** Builds the body for one attempt, with the model name that upstream knows it by. */
  body: (upstreamModel: string) => BodyInit | null;
  contentType: string;
  /** False when the body is a one-time stream: no attempt may be repeated. */
  replayable: boolean;
}

export interface Forwarded {
  response: Response;
  upstream: UpstreamConfig;
  attempts: number;
}

/**
 * Sends a request to the upstream that serves its model. Resolves once the upstream's headers
 * arrive; throws ApiError 504 after `upstreamTimeoutMs`, and 502 if it cannot be reached.
 * The client's request.signal is not wired in: without the `enable_request_signal` flag it never
 * fires in Workers, and when a client goes away the runtime cancels the request's pending work
 * (all but waitUntil) itself; a stream's cancel reaches the upstream through stream-proxy.ts.
 */
export async function forwardToUpstream(config: GatewayConfig, request: ForwardRequest): Promise<Forwarded> {
  const upstream = config.upstreams[0];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamTimeoutError("first byte")), config.upstreamTimeoutMs);
  const headers: Record<string, string> = { "content-type": request.contentType, accept: "application/json, text/event-stream" };
  // The client's own credentials never go upstream: only the gateway's key does.
  if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
  try {
    const body = request.body(upstream.modelMap[request.model] ?? request.model);
    const response = await fetch(`${upstream.baseUrl}${request.path}`, { method: "POST", headers, body, signal: controller.signal });
    return { response, upstream, attempts: 1 };
  } catch {
    if (controller.signal.reason instanceof UpstreamTimeoutError) throw upstreamTimeout(config.upstreamTimeoutMs);
    throw upstreamUnreachable();
  } finally {
    clearTimeout(timer);
  }
}

/** The headers that say which upstream answered, after how many attempts. */
export function gatewayHeaders(forwarded: Pick<Forwarded, "upstream" | "attempts">): Record<string, string> {
  return { "x-gateway-upstream": forwarded.upstream.name, "x-gateway-attempts": String(forwarded.attempts) };
}
