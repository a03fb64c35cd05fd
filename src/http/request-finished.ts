import { createMiddleware } from "hono/factory";
import type { AppContext, AppEnv, RequestAnnotations } from "./types";
import { describeError, logEvent } from "../log";
import type { UpstreamOutcome } from "../db/upstream-stats";
import { routeOf } from "../proxy/routing";
import type { BackgroundMessage } from "../queue/messages";
import { sendCoalesced } from "../queue/coalesced-send";
import { buildUsageEvent, usageKindOf } from "../usage/event";
import { priceRequest } from "../usage/pricing";
import type { RequestFinished } from "../usage/types";

// The one seam every proxied request ends in: chat (streamed or not, stored or not) and every
// passed-through endpoint. Handlers annotate the request as they go; this middleware emits one
// "request finished" record once the answer (and, for a stream, its end) is known.

/** Usage is read when it is counted or settles a reservation; with neither, bodies pass untouched. */
export const usageWanted = (c: AppContext) => c.get("config").usage.counting || c.get("requestAnnotations")?.admission !== undefined;

export function annotateRequest(c: AppContext, annotations: RequestAnnotations): void {
  // c.get, not c.var, on the hot path: Hono builds a new object of all variables on each c.var access.
  c.set("requestAnnotations", { ...c.get("requestAnnotations"), ...annotations });
}

/** Emits one RequestFinished per request, in waitUntil, off the response path. */
export const recordRequestFinished = createMiddleware<AppEnv>(async (c, next) => {
  const startedAt = Date.now();
  await next();
  const annotations = c.get("requestAnnotations");
  const apiKey = c.get("apiKey");
  if (!apiKey) return;
  const status = c.res.status;
  // Every answer to a limited key or team carries its x-ratelimit-* headers, errors included.
  const limitHeaders = annotations?.admission?.headers;
  const names = limitHeaders ? Object.keys(limitHeaders) : [];
  // Handlers set them on a proxied answer already; errors made elsewhere (a 4xx, a 429) get them here.
  if (limitHeaders && names.length > 0 && !c.res.headers.has(names[0])) {
    // A fetched Response has immutable headers; such an answer is re-wrapped (its body still streams).
    const res = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(limitHeaders)) res.headers.set(name, value);
    c.res = res;
  }
  // Nobody to tell: usage counting is off and the request reserved nothing (USAGE_COUNTING=off, no limits).
  if (!c.get("config").usage.counting && !annotations?.admission) return;
  // A usage that cannot be read is unknown (null), never a lost record.
  const knownUsage = Promise.resolve(annotations?.usage ?? null).catch(() => null);
  const finished = knownUsage.then((usage): RequestFinished => ({
    teamId: apiKey.teamId,
    keyId: apiKey.keyId,
    endpoint: c.req.path,
    // An error made after every attempt failed (502, 504) names its upstream in a header only.
    upstream: annotations?.upstream ?? c.res.headers.get("x-gateway-upstream"),
    model: annotations?.model ?? "",
    status,
    usage,
    requested: annotations?.requested ?? null,
    latencyMs: Date.now() - startedAt,
    startedAt,
  }));
  c.executionCtx.waitUntil(finished.then((record) => onRequestFinished(c, record)));
});

/**
 * Settles the request's admission with its real usage and sends its usage event to the queue.
 * Only requests the upstream answered are counted: a refused or failed request used no model.
 * Every request that reached an upstream also gives that upstream's outcome (answered or failed,
 * fallen back, latency): carried by the usage message, or alone for a failure, one message either way.
 */
async function onRequestFinished(c: AppContext, record: RequestFinished): Promise<void> {
  const { usage, upstreams } = c.get("config");
  // Priced once: the reservation is settled with the very cost the usage event carries.
  const cost = priceRequest(usageKindOf(record.endpoint), record.model, record.usage, record.requested, usage.prices);
  const settled = c.get("requestAnnotations")?.admission?.settle(record.usage, cost, record.status);
  if (usage.counting && record.upstream !== null) {
    const answered = record.status < 400;
    const event = answered ? buildUsageEvent(record, usage.prices, cost) : null;
    const outcome = upstreamOutcome(record, record.upstream, event?.id ?? crypto.randomUUID(), routeOf(upstreams, record.model)?.name);
    const message: BackgroundMessage = event ? { kind: "usage", event, outcome } : { kind: "upstream.outcome", outcome };
    // Not dropped silently: an event that cannot be sent is in the log, whole, to be replayed.
    await sendCoalesced(c.env.BACKGROUND_QUEUE, message, (err) => logEvent("error", "usage_event_not_sent", { message, error: describeError(err) }));
  }
  await settled;
}

function upstreamOutcome(record: RequestFinished, upstream: string, id: string, firstChoice: string | undefined): UpstreamOutcome {
  return {
    id,
    teamId: record.teamId,
    upstream,
    startedAt: Math.floor(record.startedAt / 1000),
    failed: record.status >= 400,
    fellBack: firstChoice !== undefined && firstChoice !== upstream,
    latencyMs: record.latencyMs,
  };
}
