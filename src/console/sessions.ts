import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { hashOfToken } from "../auth/key-cache";
import { hashApiKey } from "../auth/keys";
import { apiKeys, teams } from "../db/schema";
import { consoleSessions, type SessionKind } from "./session-table";

// Console sessions: the cookie carries a random id; D1 keeps only its hash, who it is and until when.
// Every console request reads its session here, so a sign-out (or a revoked key) ends it everywhere at once.

/** How long a session lasts after sign-in. */
export const SESSION_SECONDS = 12 * 3600;

export type ConsoleSession = { kind: "admin"; id: string } | { kind: "team"; id: string; teamId: string; keyId: string };

const db = (d1: D1Database) => drizzle(d1, { schema: { consoleSessions, apiKeys, teams } });

function randomSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Starts a session; returns the cookie value (never stored). */
export async function createSession(
  d1: D1Database,
  who: { kind: SessionKind; teamId?: string; keyId?: string; adminTokenHash?: string },
  now: number,
): Promise<string> {
  const sessionId = randomSessionId();
  await db(d1)
    .insert(consoleSessions)
    .values({
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
 * team not deleted, checked in the same query; an admin session needs the admin token it signed in
 * with to be the current one (`adminTokenHash`: the current token's hash, null when none is set).
 */
export async function findSession(d1: D1Database, sessionId: string, now: number, adminTokenHash: string | null): Promise<ConsoleSession | null> {
  const s = consoleSessions;
  const row = await db(d1)
    .select({ id: s.id, kind: s.kind, teamId: s.teamId, keyId: s.keyId, adminTokenHash: s.adminTokenHash, keyRevokedAt: apiKeys.revokedAt, keyExpiresAt: apiKeys.expiresAt, teamDeletedAt: teams.deletedAt })
    .from(s)
    .leftJoin(apiKeys, eq(apiKeys.id, s.keyId))
    .leftJoin(teams, eq(teams.id, s.teamId))
    .where(and(eq(s.id, await hashApiKey(sessionId)), isNull(s.revokedAt), gt(s.expiresAt, now)))
    .get();
  if (!row) return null;
  if (row.kind === "admin") return adminTokenHash !== null && row.adminTokenHash === adminTokenHash ? { kind: "admin", id: row.id } : null;
  const keyLive = row.keyId !== null && row.keyRevokedAt === null && (row.keyExpiresAt === null || row.keyExpiresAt > now);
  if (!keyLive || row.teamId === null || row.teamDeletedAt !== null) return null;
  return { kind: "team", id: row.id, teamId: row.teamId, keyId: row.keyId! };
}

/** The hash an admin session is tied to: that of the current ADMIN_TOKEN, or null when none is set. */
export async function currentAdminTokenHash(env: Env): Promise<string | null> {
  return env.ADMIN_TOKEN ? hashOfToken(env.ADMIN_TOKEN) : null;
}

/** Ends a session (sign-out); its cookie is refused from now on. */
export async function revokeSession(d1: D1Database, hashedId: string, now: number): Promise<void> {
  await db(d1).update(consoleSessions).set({ revokedAt: now }).where(eq(consoleSessions.id, hashedId));
}

/** Forgets sessions that expired or were revoked more than a day ago (the cron). */
export async function purgeSessions(d1: D1Database, now: number): Promise<void> {
  const s = consoleSessions;
  await db(d1)
    .delete(s)
    .where(or(lt(s.expiresAt, now - 86400), lt(s.revokedAt, now - 86400)));
}
