import type { GatewayConfig, UpstreamConfig } from "../config";
import { describeError, logEvent } from "../log";
import { routeOf } from "./routing";

/** One entry of GET /v1/models, in OpenAI's shape; `owned_by` is the upstream that serves it. */
export interface ModelEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** A list is never served older than this; */
const CATALOG_MAX_AGE_MS = 5 * 60_000;
/** past this age, a request still gets the cached list, and a fresh one is fetched in the background. */
const CATALOG_REFRESH_AFTER_MS = 60_000;
/** An upstream's GET /models is skipped after this long, so one slow provider cannot hold up the list. */
const LIST_TIMEOUT_MS = 10_000;

interface Catalog {
  models: ModelEntry[];
  fetchedAt: number;
  refreshingSince: number | null;
}

// Per isolate, per config. Only finished lists are shared between requests, never a pending fetch:
// workerd does not let one request wait on I/O that another request started.
const catalogs = new WeakMap<GatewayConfig, Catalog>();

/**
 * Every model the upstreams serve, first upstream first, de-duplicated. `keepAlive` runs a
 * background refresh past the response (executionCtx.waitUntil).
 */
export async function modelCatalog(config: GatewayConfig, keepAlive: (work: Promise<unknown>) => void): Promise<ModelEntry[]> {
  const now = Date.now();
  const cached = catalogs.get(config);
  if (cached && now - cached.fetchedAt < CATALOG_MAX_AGE_MS) {
    const refreshing = cached.refreshingSince !== null && now - cached.refreshingSince < LIST_TIMEOUT_MS;
    if (now - cached.fetchedAt >= CATALOG_REFRESH_AFTER_MS && !refreshing) {
      cached.refreshingSince = now;
      keepAlive(loadCatalog(config).then((models) => catalogs.set(config, { models, fetchedAt: Date.now(), refreshingSince: null })));
    }
    return cached.models;
  }
  const models = await loadCatalog(config);
  catalogs.set(config, { models, fetchedAt: Date.now(), refreshingSince: null });
  return models;
}

async function loadCatalog(config: GatewayConfig): Promise<ModelEntry[]> {
  const listed = await Promise.all(config.upstreams.map((upstream) => listUpstreamModels(upstream, Math.min(config.upstreamTimeoutMs, LIST_TIMEOUT_MS))));
  const byId = new Map<string, ModelEntry>();
  config.upstreams.forEach((upstream, i) => {
    const reverseMap = new Map(Object.entries(upstream.modelMap).map(([ours, theirs]) => [theirs, ours]));
    const explicit = upstream.models.filter((pattern) => !pattern.includes("*")).map((id) => ({ id, created: 0 }));
    for (const { id: upstreamId, created } of [...(listed[i] ?? []), ...explicit]) {
      const id = reverseMap.get(upstreamId) ?? upstreamId;
      if (byId.has(id) || !upstream.modelPattern.test(id)) continue;
      // The upstream a request for this model goes to, which an earlier upstream's pattern may take.
      const owner = routeOf(config.upstreams, id) ?? upstream;
      byId.set(id, { id, object: "model", created, owned_by: owner.name });
    }
  });
  return [...byId.values()];
}

/** The ids an upstream's GET /models lists; null (logged) when it fails: one bad upstream never empties the list. */
async function listUpstreamModels(upstream: UpstreamConfig, timeoutMs: number): Promise<{ id: string; created: number }[] | null> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
  try {
    const response = await fetch(`${upstream.baseUrl}/models`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      response.body?.cancel().catch(() => {});
      throw new Error(`status ${response.status}`);
    }
    const body = (await response.json()) as { data?: unknown };
    if (!Array.isArray(body?.data)) throw new Error("the answer has no data array");
    return body.data
      .filter((m): m is { id: string; created?: unknown } => !!m && typeof m === "object" && typeof (m as { id?: unknown }).id === "string")
      .map((m) => ({ id: m.id, created: Number.isInteger(m.created) ? (m.created as number) : 0 }));
  } catch (err) {
    logEvent("warn", "upstream_models_failed", { upstream: upstream.name, error: describeError(err) });
    return null;
  }
}
