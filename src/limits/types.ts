import type { RequestCost, TokenUsage } from "../usage/types";

/** An admitted request: `settle` replaces its reservation with what it really used. */
export interface Admission {
  /** x-ratelimit-* headers for the answer (empty when the key and team have no limits). */
  headers: Record<string, string>;
  /**
   * A failed request is charged nothing. An answered one is charged its cost; when that is not known
   * (a cut stream, an unpriced model, audio of untold length) the estimate stays charged.
   */
  settle(usage: TokenUsage | null, cost: RequestCost, status: number): Promise<void>;
}
