import type { TokenUsage } from "../usage/types";

/** An admitted request: `settle` replaces its reservation with what it really used. */
export interface Admission {
  /** x-ratelimit-* headers for the answer (empty when the key and team have no limits). */
  headers: Record<string, string>;
  /** `usage` null with an ok status: unknown (a cut stream), the estimate stays charged; a failed request is charged nothing. */
  settle(usage: TokenUsage | null, status: number): Promise<void>;
}
