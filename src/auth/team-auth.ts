import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import { TeamsRepository } from "../db/teams";
import { invalidApiKey } from "../errors";
import { logEvent, redactKey } from "../log";
import { bearerToken } from "./bearer";
import { cacheKey, getCachedKey, hashOfToken } from "./key-cache";
import { isWellFormedKey } from "./keys";
import { limitsOf } from "../limits/limits";
import type { AppContext, AppEnv, AuthenticatedKey } from "../http/types";
import { rememberPlace } from "../store/shards";

// Not Hono's bearerAuth: a team key is looked up by its hash (with a cache) rather than compared
// with one known token, and OpenAI answers every bad key, malformed header included, with 401
// `invalid_api_key`, where bearerAuth answers a malformed header with 400.
// lookUpKey is also how the console checks a team key at sign-in.

export async function lookUpKey(db: D1Database, keyHash: string, ttlMs: number): Promise<AuthenticatedKey | null> {
  const now = Date.now();
  const cached = getCachedKey(keyHash, now);
  if (cached !== undefined) return cached;
  const row = await new TeamsRepository(createDb(db)).findKeyByHash(keyHash);
  // The team's store shard comes with its key, so that its first store call in this isolate needs no lookup.
  if (row?.store) rememberPlace(row.teamId, row.store.storeId, row.store.shard);
  const expiresAtMs = row?.expiresAt != null ? row.expiresAt * 1000 : Infinity;
  const live = row !== null && row.revokedAt === null && expiresAtMs > now;
  const key: AuthenticatedKey | null = live
    ? {
        keyId: row.id,
        teamId: row.teamId,
        allowedModels: row.allowedModels,
        limits: { key: limitsOf(row), team: limitsOf(row.team) },
      }
    : null;
  // An entry never outlives the key's own expiry.
  cacheKey(keyHash, key, Math.min(now + ttlMs, live ? expiresAtMs : Infinity));
  return key;
}

/** The team key of the request's bearer token; throws 401 `invalid_api_key` when there is none or it is not live. */
export async function authenticateTeamKey(c: AppContext): Promise<AuthenticatedKey> {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) {
    throw invalidApiKey(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  // A token that cannot be a gateway key is refused without hashing it or asking D1.
  const key = isWellFormedKey(token) ? await lookUpKey(c.env.DB, await hashOfToken(token), c.get("config").keyCacheTtlMs) : null;
  if (!key) {
    logEvent("warn", "invalid_api_key", { key: redactKey(token), path: c.req.path });
    throw invalidApiKey(`Incorrect API key provided: ${redactKey(token)}.`);
  }
  return key;
}

export const requireTeamKey = createMiddleware<AppEnv>(async (c, next) => {
  c.set("apiKey", await authenticateTeamKey(c));
  await next();
});
