/** Bindings and variables, as configured in wrangler.toml and .dev.vars (see .dev.vars.example). */
export interface Bindings {
  DB: D1Database;
  /** The /doc explorer's static files (public/). */
  ASSETS?: Fetcher;
  UPSTREAM_BASE_URL?: string;
  UPSTREAM_API_KEY?: string;
  ADMIN_TOKEN?: string;
  UPSTREAM_TIMEOUT_MS?: string;
  UPSTREAM_IDLE_TIMEOUT_MS?: string;
  MAX_BODY_BYTES?: string;
  KEY_CACHE_TTL_MS?: string;
}

export interface GatewayConfig {
  upstreamBaseUrl: string;
  upstreamApiKey: string | undefined;
  /** Time to the upstream's first byte (headers). OpenAI's SDK waits 600 s by default. */
  upstreamTimeoutMs: number;
  /** Longest silence between two chunks of an upstream body. */
  upstreamIdleTimeoutMs: number;
  maxBodyBytes: number;
  keyCacheTtlMs: number;
}

export const DEFAULTS = {
  upstreamBaseUrl: "https://api.openai.com/v1",
  upstreamTimeoutMs: 600_000,
  upstreamIdleTimeoutMs: 300_000,
  maxBodyBytes: 10 * 1024 * 1024,
  keyCacheTtlMs: 30_000,
  /** The cache time is capped so that a revoked key always stops working within a minute. */
  maxKeyCacheTtlMs: 60_000,
} as const;

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

const configs = new WeakMap<Bindings, GatewayConfig>();

/** The config of an env object, read once: workerd hands every request of an isolate the same env. */
export function readConfig(env: Bindings): GatewayConfig {
  let config = configs.get(env);
  if (!config) configs.set(env, (config = parseConfig(env)));
  return config;
}

function parseConfig(env: Bindings): GatewayConfig {
  return {
    upstreamBaseUrl: (env.UPSTREAM_BASE_URL || DEFAULTS.upstreamBaseUrl).replace(/\/+$/, ""),
    upstreamApiKey: env.UPSTREAM_API_KEY || undefined,
    upstreamTimeoutMs: positiveInt(env.UPSTREAM_TIMEOUT_MS, DEFAULTS.upstreamTimeoutMs),
    upstreamIdleTimeoutMs: positiveInt(env.UPSTREAM_IDLE_TIMEOUT_MS, DEFAULTS.upstreamIdleTimeoutMs),
    maxBodyBytes: positiveInt(env.MAX_BODY_BYTES, DEFAULTS.maxBodyBytes),
    keyCacheTtlMs: Math.min(positiveInt(env.KEY_CACHE_TTL_MS, DEFAULTS.keyCacheTtlMs), DEFAULTS.maxKeyCacheTtlMs),
  };
}
