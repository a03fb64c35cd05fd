// When and how long to wait before trying an upstream again.

/** Statuses worth another attempt: the upstream may answer differently a moment later. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export const isRetryableStatus = (status: number): boolean => RETRYABLE_STATUSES.has(status);

const BACKOFF = { baseMs: 250, capMs: 4_000 } as const;

/**
 * The wait the upstream asked for: OpenAI's `retry-after-ms`, else `retry-after` in seconds or as an
 * HTTP date. null when it asked for nothing usable.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (0 for the first retry): exponential with full jitter
 * (a random time up to base·2^retry, capped), or what the upstream asked for, up to the cap.
 */
export function backoffDelayMs(retry: number, askedMs: number | null, random: () => number = Math.random): number {
  if (askedMs !== null) return Math.min(BACKOFF.capMs, askedMs);
  return Math.floor(random() * Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** retry));
}
