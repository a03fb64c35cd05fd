import type { UpstreamConfig } from "../config";
import { modelNotAllowed } from "../errors";
import { annotateRequest } from "../http/request-finished";
import type { AppContext } from "../http/types";
import { admitRequest, type AdmissionEstimate } from "./admission";
import { type ForwardRequest, forwardToUpstream, gatewayHeaders, requireRoute, withGatewayHeaders } from "./forward";
import { relayUpstreamError } from "./upstream-error";
import { forwardedHeaders } from "./upstream-headers";

export interface ProxyRequest extends ForwardRequest {
  /** What the request may use, reserved against the key's and team's limits before it is sent. */
  estimate: Omit<AdmissionEstimate, "model">;
}

/** The upstream that answered, and the attempts it took over all upstreams. */
interface Answered {
  upstream: UpstreamConfig;
  attempts: number;
}

export type Proxied =
  /** `response` is the upstream's 2xx answer, its body unread; `headers` go on the client's answer. */
  | (Answered & { ok: true; response: Response; headers: Headers; abort: (reason: Error) => void })
  /** `response` is the upstream's error, relayed in OpenAI's shape with the gateway's headers: the client's answer. */
  | (Answered & { ok: false; response: Response });

/**
 * The proxy's steps every endpoint shares: the key's allow-list, the route (resolved once),
 * admission, forwarding with retries and fallback, and the upstream's error relayed. Annotates the
 * request (model, upstream, attempts) for the request-finished record. Throws the gateway's own
 * errors: 403 not allowed, 404 no upstream takes the model, 429 limits, 502/504 nothing answered.
 */
export async function proxyRequest(c: AppContext, request: ProxyRequest): Promise<Proxied> {
  const apiKey = c.get("apiKey");
  const config = c.get("config");
  const { model } = request;
  if (apiKey.allowedModels && !apiKey.allowedModels.includes(model)) throw modelNotAllowed(model);
  annotateRequest(c, { model });
  const candidates = requireRoute(config, model);
  const admission = await admitRequest(c, { ...request.estimate, model });
  const forwarded = await forwardToUpstream(config, candidates, request);
  const answered = { upstream: forwarded.upstream, attempts: forwarded.attempts };
  annotateRequest(c, { upstream: forwarded.upstream.name, attempts: forwarded.attempts });
  if (!forwarded.answered) {
    annotateRequest(c, { usage: null });
    throw forwarded.error;
  }
  const upstream = forwarded.response;
  if (!upstream.ok) {
    annotateRequest(c, { usage: null });
    return { ...answered, ok: false, response: withGatewayHeaders(await relayUpstreamError(upstream, config.upstreamIdleTimeoutMs), forwarded) };
  }
  const headers = forwardedHeaders(upstream.headers);
  for (const [name, value] of Object.entries({ ...gatewayHeaders(forwarded), ...admission.headers })) headers.set(name, value);
  return { ...answered, ok: true, response: upstream, headers, abort: forwarded.abort };
}
