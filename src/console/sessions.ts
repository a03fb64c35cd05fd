import { hashOfToken } from "../auth/key-cache";
import { hashApiKey } from "../auth/keys";
import { createDb } from "../db/client";
import { findUnexpiredSession, insertSession, purgeSessionRows, revokeSessionRow, type SessionKind } from "../db/console-sessions";

// Console sessions: the cookie carries a random id; D1 keeps only its hash, who it is and until when.
// Every console request reads its session, so a sign-out (or a revoked key) ends it everywhere at once.

/** How long a session lasts after sign-in. */
export const SESSION_SECONDS = 12 * 3600;

export type ConsoleSession = { kind: "admin"; id: string } | { kind: "team"; id: string; teamId: string; keyId: string };

function randomSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The hash an admin session is tied to: that of the current ADMIN_TOKEN, or null when none is set. */
export async function currentAdminTokenHash(env: Env): Promise<string | null> {
  return env.ADMIN_TOKEN ? hashOfToken(env.ADMIN_TOKEN) : null;
}

/** Starts a session; returns the cookie value (never stored). */
export async function createSession(
  d1: D1Database,
  who: { kind: SessionKind; teamId?: string; keyId?: string; adminTokenHash?: string },
  now: number,
): Promise<string> {
  const sessionId = randomSessionId();
  await insertSession(createDb(d1), {
    id: await hashApiKey(sessionId),
    kind: who.kind,
    teamId: who.teamId ?? null,
    keyId: who.keyId ?? null,
    adminTokenHash: who.adminTokenHash ?? null,
    createdAt: now,
    expiresAt: now + SESSION_SECONDS,
    revokedAt: null,
  });
  return sessionId;
}

/**
 * The live session of a cookie value, or null. A team session also needs its key to be live and its
 * team not deleted; an admin session needs the admin token it signed in with to be the current one
 * (`adminTokenHash`: the current token's hash, null when none is set).
 */
export async function findSession(d1: D1Database, sessionId: string, now: number, adminTokenHash: string | null): Promise<ConsoleSession | null> {
  const row = await findUnexpiredSession(createDb(d1), await hashApiKey(sessionId), now);
  if (!row) return null;
  if (row.kind === "admin") return adminTokenHash !== null && row.adminTokenHash === adminTokenHash ? { kind: "admin", id: row.id } : null;
  const keyLive = row.keyId !== null && row.keyRevokedAt === null && (row.keyExpiresAt === null || row.keyExpiresAt > now);
  if (!keyLive || row.teamId === null || row.teamDeletedAt !== null) return null;
  return { kind: "team", id: row.id, teamId: row.teamId, keyId: row.keyId! };
}

/** Ends a session (sign-out), by its stored (hashed) id; its cookie is refused from now on. */
export async function revokeSession(d1: D1Database, hashedId: string, now: number): Promise<void> {
  await revokeSessionRow(createDb(d1), hashedId, now);
}

/** The cron's part: old sessions go. */
export async function purgeSessions(d1: D1Database, now: number): Promise<void> {
  await purgeSessionRows(createDb(d1), now);
}
