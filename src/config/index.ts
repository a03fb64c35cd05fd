import { describeError, logEvent } from "../log";
import { parseStoreConfig, type StoreConfig } from "./store";
import { parseUpstreams, type UpstreamConfig } from "./upstreams";
import { parseUsageConfig, type UsageConfig } from "./usage";
import { ConfigError, integerVar, secretVar } from "./values";

export { ConfigError } from "./values";
export type { UpstreamConfig } from "./upstreams";

export interface GatewayConfig {
  upstreams: UpstreamConfig[];
  /** Attempts per upstream for a retryable failure. */
  retryAttempts: number;
  /** Time to the upstream's first byte (headers), all attempts together. OpenAI's SDK waits 600 s by default. */
  upstreamTimeoutMs: number;
  /** Longest silence between two chunks of an upstream body. */
  upstreamIdleTimeoutMs: number;
  maxBodyBytes: number;
  keyCacheTtlMs: number;
  store: StoreConfig;
  usage: UsageConfig;
  /** ID_SECRET: keys the MAC that minted completion ids carry. */
  idSecret: string;
}

const DEFAULTS = {
  retryAttempts: 2,
  upstreamTimeoutMs: 600_000,
  upstreamIdleTimeoutMs: 300_000,
  maxBodyBytes: 10 * 1024 * 1024,
  keyCacheTtlMs: 30_000,
  /** The cache time is capped so that a revoked key always stops working within a minute. */
  maxKeyCacheTtlMs: 60_000,
} as const;

const ID_SECRET_HELP =
  "It keys the MAC in the completion ids the gateway mints: generate a random one (e.g. `openssl rand -base64 32`) and set it with `wrangler secret put ID_SECRET` (`npm start` writes one into .dev.vars).";

/** Parses and checks every variable; throws ConfigError naming the first one that is wrong. */
export function parseConfig(vars: object): GatewayConfig {
  // Read as a plain record: the secret an upstream's api_key_env names is looked up by name.
  const env = vars as Record<string, unknown>;
  const keyCacheTtlMs = integerVar(env, "KEY_CACHE_TTL_MS", DEFAULTS.keyCacheTtlMs);
  if (keyCacheTtlMs > DEFAULTS.maxKeyCacheTtlMs) {
    throw new ConfigError("KEY_CACHE_TTL_MS", `must be at most ${DEFAULTS.maxKeyCacheTtlMs} (a revoked key must stop working within a minute), but is ${keyCacheTtlMs}.`);
  }
  return {
    upstreams: parseUpstreams(env),
    retryAttempts: integerVar(env, "RETRY_ATTEMPTS", DEFAULTS.retryAttempts),
    upstreamTimeoutMs: integerVar(env, "UPSTREAM_TIMEOUT_MS", DEFAULTS.upstreamTimeoutMs),
    upstreamIdleTimeoutMs: integerVar(env, "UPSTREAM_IDLE_TIMEOUT_MS", DEFAULTS.upstreamIdleTimeoutMs),
    maxBodyBytes: integerVar(env, "MAX_BODY_BYTES", DEFAULTS.maxBodyBytes),
    keyCacheTtlMs,
    store: parseStoreConfig(env),
    usage: parseUsageConfig(env),
    idSecret: secretVar(env, "ID_SECRET", 16, ID_SECRET_HELP),
  };
}

/**
 * The bindings, named when missing: without them stores and limits would fail on every request, or,
 * with LIMITS_FAIL_MODE=open, silently. (`npm start` checks vars only; wrangler itself checks bindings.)
 */
function requireBindings(env: Env): void {
  for (const binding of ["DB", "BODIES", "BACKGROUND_QUEUE", "TEAM_LIMITER"] as const) {
    if (!env[binding]) throw new ConfigError(binding, "is not bound: declare it in wrangler.toml (see docs/deploy.md).");
  }
}

const configs = new WeakMap<object, GatewayConfig | ConfigError>();

/**
 * The config of an env object, read once: workerd hands every request of an isolate the same env.
 * A bad one is logged once per isolate and thrown on every call (the request gets a 500
 * `gateway_misconfigured`); it never falls back to a default.
 */
export function readConfig(env: Env): GatewayConfig {
  let config = configs.get(env);
  if (!config) {
    try {
      requireBindings(env);
      config = parseConfig(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      config = err;
      logEvent("error", "gateway_misconfigured", { variable: err.variable, error: describeError(err) });
    }
    configs.set(env, config);
  }
  if (config instanceof ConfigError) throw config;
  return config;
}
