import type { GatewayConfig, UpstreamConfig } from "../config";
import { type ApiError, modelNotFound, upstreamTimeout, upstreamUnreachable } from "../errors";
import { logEvent } from "../log";
import { UpstreamTimeoutError } from "./idle-timeout";
import { backoffDelayMs, isRetryableStatus, retryAfterMs } from "./retry";
import { upstreamModelName, upstreamsFor } from "./routing";

/** The upstream one attempt goes to, and the name it knows the client's model by (model_map). */
export interface UpstreamTarget {
  upstream: UpstreamConfig;
  upstreamModel: string;
}

/** What one attempt sends: a path under the upstream's base URL (e.g. "/chat/completions") and its body. */
export interface UpstreamCall {
  path: string;
  body: BodyInit | null;
}

export interface ForwardRequest {
  /** The model the client asked for: it picks the upstreams (proxyRequest checks it against the key's allow-list). */
  model: string;
  /**
   * The path and body of one attempt on its upstream, with the upstream's own name for the model.
   * Called once per attempt (in proxyRequest, after admission), so a one-time body is built once.
   */
  call: (target: UpstreamTarget) => UpstreamCall;
  contentType: string;
  /** The client's Accept (e.g. audio for speech); by default JSON or an event stream. */
  accept?: string;
  /** False when the body is a one-time stream: no attempt may be repeated. */
  replayable: boolean;
}

/** The upstream tried last, and the attempts made over all upstreams. */
interface Tried {
  upstream: UpstreamConfig;
  attempts: number;
}

/** An upstream's answer (any status), or the gateway's 502/504 when none came. */
type Forwarded = Tried & (Answered | { answered: false; error: ApiError });

interface Answered {
  answered: true;
  response: Response;
  /** Aborts the answer's fetch: its body errors with `reason` wherever it is being read. */
  abort: (reason: Error) => void;
}

/** The upstreams that take `model`, in order; 404 `model_not_found` (OpenAI's answer) when none does. */
export function requireRoute(config: GatewayConfig, model: string): UpstreamConfig[] {
  const candidates = upstreamsFor(config.upstreams, model);
  if (candidates.length === 0) throw modelNotFound(model);
  return candidates;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Failure = { kind: "response"; response: Response } | { kind: "unreachable" };

/**
 * Sends a request to the first of `candidates` (the upstreams that take its model, in order). A retryable failure (connection
 * error, 408, 429, 5xx but 501) is tried again on the same upstream (RETRY_ATTEMPTS in all, with
 * backoff), then on the next upstream that takes the model, all within UPSTREAM_TIMEOUT_MS.
 * Resolves once an upstream's headers arrive: nothing is retried after that, so no byte of a
 * stream ever reaches the client twice. When every attempt fails, the last upstream error is
 * returned as it came (status, retry-after); a 502 when nothing answered, a 504 at the deadline,
 * with the upstream tried last: which upstream it was is data, not only a header.
 * The client's request.signal is not wired in: without the `enable_request_signal` flag it never
 * fires in Workers, and when a client goes away the runtime cancels the request's pending work
 * (all but waitUntil) itself; a stream's cancel reaches the upstream through stream-proxy.ts.
 * `abort()` on the result aborts the answer's fetch (a stream passed on natively is cut that way).
 */
export async function forwardToUpstream(config: GatewayConfig, candidates: readonly UpstreamConfig[], request: ForwardRequest): Promise<Forwarded> {
  const deadline = Date.now() + config.upstreamTimeoutMs;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamTimeoutError("first byte")), config.upstreamTimeoutMs);
  const abort = (reason: Error) => controller.abort(reason);
  let attempts = 0;
  let upstream = candidates[0];
  let last: Failure = { kind: "unreachable" };
  try {
    tries: for (let u = 0; u < candidates.length; u++) {
      upstream = candidates[u];
      for (let retry = 0; retry < config.retryAttempts; retry++) {
        attempts++;
        last = await attempt(upstream, request, controller.signal);
        if (last.kind === "response" && !isRetryableStatus(last.response.status)) return { answered: true, response: last.response, abort, upstream, attempts };
        // A one-time body has been read: it cannot go anywhere again.
        if (!request.replayable) break tries;
        const delay = backoffDelayMs(retry, last.kind === "response" ? retryAfterMs(last.response.headers) : null);
        const retrySame = retry + 1 < config.retryAttempts && Date.now() + delay < deadline;
        // The next upstream is another server: it has no reason to wait.
        const fallBack = !retrySame && u + 1 < candidates.length && Date.now() < deadline;
        if (!retrySame && !fallBack) break tries;
        logEvent("warn", "upstream_retry", {
          upstream: upstream.name,
          attempt: attempts,
          status: last.kind === "response" ? last.response.status : null,
          next: retrySame ? upstream.name : candidates[u + 1].name,
          delay_ms: retrySame ? delay : 0,
        });
        if (last.kind === "response") last.response.body?.cancel().catch(() => {});
        if (!retrySame) continue tries;
        await sleep(delay);
      }
    }
  } catch (err) {
    if (controller.signal.reason instanceof UpstreamTimeoutError) {
      return { answered: false, error: upstreamTimeout(config.upstreamTimeoutMs, gatewayHeaders({ upstream, attempts })), upstream, attempts };
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
  if (last.kind === "response") return { answered: true, response: last.response, abort, upstream, attempts };
  return { answered: false, error: upstreamUnreachable(gatewayHeaders({ upstream, attempts })), upstream, attempts };
}

async function attempt(upstream: UpstreamConfig, request: ForwardRequest, signal: AbortSignal): Promise<Failure> {
  const headers: Record<string, string> = { "content-type": request.contentType, accept: request.accept ?? "application/json, text/event-stream" };
  // The client's own credentials never go upstream: only the gateway's key does.
  if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
  const { path, body } = request.call({ upstream, upstreamModel: upstreamModelName(upstream, request.model) });
  try {
    const response = await fetch(`${upstream.baseUrl}${path}`, { method: "POST", headers, body, signal });
    return { kind: "response", response };
  } catch (err) {
    // The deadline: no attempt is left; the caller answers 504.
    if (signal.reason instanceof UpstreamTimeoutError) throw err;
    return { kind: "unreachable" };
  }
}

/** The headers that say which upstream answered, after how many attempts. */
export function gatewayHeaders(forwarded: Tried): Record<string, string> {
  return { "x-gateway-upstream": forwarded.upstream.name, "x-gateway-attempts": String(forwarded.attempts) };
}

/** Adds the gateway's headers to an answer built from the upstream's (e.g. a relayed error). */
export function withGatewayHeaders(response: Response, forwarded: Tried): Response {
  for (const [name, value] of Object.entries(gatewayHeaders(forwarded))) response.headers.set(name, value);
  return response;
}

/** The JSON body with `model` replaced, when the upstream knows the model by another name (model_map). */
export function jsonBodyFor(body: string, model: string, upstreamModel: string): string {
  return upstreamModel === model ? body : JSON.stringify({ ...JSON.parse(body), model: upstreamModel });
}
