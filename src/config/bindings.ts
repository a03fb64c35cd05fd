import type { TeamLimiter } from "../limits/team-limiter";
import type { BackgroundMessage } from "../queue/messages";

/** Bindings and variables, as configured in wrangler.toml and .dev.vars (see .dev.vars.example). */
export interface Bindings {
  DB: D1Database;
  /** The /doc explorer's static files (public/). */
  ASSETS?: Fetcher;
  /** Background work: completion writes that did not land at once, usage events, team purges. */
  BACKGROUND_QUEUE: Queue<BackgroundMessage>;
  /** One Durable Object per team: rate-limit counters and budget reservations. */
  TEAM_LIMITER: DurableObjectNamespace<TeamLimiter>;
  ADMIN_TOKEN?: string;
  UPSTREAM_BASE_URL?: string;
  UPSTREAM_API_KEY?: string;
  UPSTREAMS?: string;
  RETRY_ATTEMPTS?: string;
  UPSTREAM_TIMEOUT_MS?: string;
  UPSTREAM_IDLE_TIMEOUT_MS?: string;
  MAX_BODY_BYTES?: string;
  KEY_CACHE_TTL_MS?: string;
  STORE_RETENTION_DAYS?: string;
  USAGE_COUNTING?: string;
  PRICES?: string;
  LIMITS_FAIL_MODE?: string;
  LIMITS_DEFAULT_OUTPUT_TOKENS?: string;
  /** Secrets named by an upstream's `api_key_env` are read by name. */
  [secret: string]: unknown;
}
