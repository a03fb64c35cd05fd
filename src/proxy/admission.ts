import { insufficientQuota, limitsUnavailable, rateLimitExceeded } from "../errors";
import { describeError, logEvent } from "../log";
import { nanosToUsd } from "../lib/money";
import { requestedUnits, usageKindOf } from "../usage/event";
import { estimateNanos, totalNanos } from "../usage/pricing";
import type { UsageEstimate } from "../usage/types";
import { annotateRequest } from "../http/request-finished";
import { formatResetDuration } from "../limits/limits";
import type { LimitState } from "../limits/team-limiter";
import type { AppContext } from "../http/types";
import type { Admission } from "../limits/types";

/** What a request is expected to use before it is sent, for budgets and token limits. */
export type AdmissionEstimate = UsageEstimate;

const UNLIMITED: Admission = { headers: {}, settle: async () => {} };

const positiveCount = (value: unknown) => (typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 1);

/**
 * The estimate of a JSON request: its bytes / 4 in, and its max_completion_tokens / max_tokens (or
 * the default) out. What an image or speech request asks for is noted for its usage event too.
 */
export function estimateRequest(c: AppContext, model: string, request: Record<string, unknown>): AdmissionEstimate {
  const bytes = Number(c.req.header("content-length")) || JSON.stringify(request).length;
  const max = request.max_completion_tokens ?? request.max_tokens;
  const perChoice = typeof max === "number" && max >= 0 ? max : c.get("config").usage.defaultOutputTokens;
  // Each of n choices (best_of for legacy completions) may use max_tokens.
  const choices = Math.max(positiveCount(request.n), positiveCount(request.best_of));
  const kind = usageKindOf(c.req.path);
  const requested = requestedUnits(kind, request);
  if (requested) annotateRequest(c, { requested });
  return { kind, model, inputTokens: Math.ceil(bytes / 4), outputTokens: perChoice * choices, requested };
}

/** The estimate of an audio upload: its length is known only from the answer. */
export const estimateAudio = (c: AppContext, model: string): AdmissionEstimate => ({ kind: usageKindOf(c.req.path), model, inputTokens: 0, outputTokens: 0, requested: null });

function rateLimitHeaders(requests: LimitState | null, tokens: LimitState | null): Record<string, string> {
  const headers: Record<string, string> = {};
  if (requests) {
    headers["x-ratelimit-limit-requests"] = String(requests.limit);
    headers["x-ratelimit-remaining-requests"] = String(requests.remaining);
    headers["x-ratelimit-reset-requests"] = formatResetDuration(requests.resetMs);
  }
  if (tokens) {
    headers["x-ratelimit-limit-tokens"] = String(tokens.limit);
    headers["x-ratelimit-remaining-tokens"] = String(tokens.remaining);
    headers["x-ratelimit-reset-tokens"] = formatResetDuration(tokens.resetMs);
  }
  return headers;
}

/**
 * Admits a request against its key's and team's limits and budgets, or throws a 429. The estimate
 * is reserved in the team's Durable Object before the request is forwarded, and settled with the
 * real usage once it is known (in the request-finished seam). A key and team without limits make
 * no Durable Object call at all.
 */
export async function admitRequest(c: AppContext, estimate: AdmissionEstimate): Promise<Admission> {
  const apiKey = c.get("apiKey");
  const config = c.get("config");
  const { key, team } = apiKey.limits;
  if (!key && !team) return UNLIMITED;
  const tokens = estimate.inputTokens + estimate.outputTokens;
  const nanoUsd = estimateNanos(estimate, config.usage.prices, config.usage.defaultRequestNanoUsd);
  const limiter = c.env.TEAM_LIMITER.get(c.env.TEAM_LIMITER.idFromName(apiKey.teamId));

  let result;
  try {
    result = await limiter.admit({ keyId: apiKey.keyId, key, team, tokens, nanoUsd });
  } catch (err) {
    const failMode = config.usage.limitsFailMode;
    logEvent("error", "limits_unavailable", { team_id: apiKey.teamId, fail_mode: failMode, error: describeError(err) });
    if (failMode === "closed") throw limitsUnavailable();
    return UNLIMITED;
  }

  if (!result.admitted) {
    // A refused request took nothing: the headers show what is left as it was.
    const headers = rateLimitHeaders(result.requests, result.tokens);
    if (result.reason === "budget") throw insufficientQuota(result.scope, nanosToUsd(result.maxBudgetNanoUsd), headers);
    const retryAfter = formatResetDuration(result.retryAfterMs);
    headers["retry-after"] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    headers["retry-after-ms"] = String(Math.max(0, Math.ceil(result.retryAfterMs)));
    const state = result.reason === "requests" ? result.requests : result.tokens;
    throw rateLimitExceeded(result.reason, result.scope, state?.limit ?? 0, retryAfter, headers);
  }

  const reservationId = result.reservationId;
  const admission: Admission = {
    headers: rateLimitHeaders(result.requests, result.tokens),
    async settle(usage, cost, status) {
      const failed = status >= 400;
      const actualTokens = usage ? usage.inputTokens + usage.outputTokens : failed ? 0 : null;
      const actualNanoUsd = failed ? 0 : cost.priced && cost.known ? totalNanos(cost) : null;
      try {
        await limiter.settle(reservationId, actualTokens, actualNanoUsd);
      } catch (err) {
        // The reservation stays and is charged at its estimate when it goes stale.
        logEvent("error", "limits_settle_failed", { team_id: apiKey.teamId, error: describeError(err) });
      }
    },
  };
  annotateRequest(c, { admission });
  return admission;
}
