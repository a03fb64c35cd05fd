// What the usage folder shares with the layers above it (the request-finished seam, admission).

/** Token counts as OpenAI's usage objects give them. */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
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
