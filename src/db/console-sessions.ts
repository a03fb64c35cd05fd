import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { apiKeys, teams } from "./schema";

// Console sessions. The table is created by hand (migrations/0007_console_sessions.sql) and kept out
// of schema.ts, so that `npm run db:generate` never emits it a second time.

export type SessionKind = "admin" | "team";

export const consoleSessions = sqliteTable("console_sessions", {
  /** SHA-256 (hex) of the cookie's session id. */
  id: text("id").primaryKey(),
  kind: text("kind").$type<SessionKind>().notNull(),
  /** The team of a team-key session; null for the admin. */
  teamId: text("team_id"),
  /** The key a team session signed in with: the session lives only while that key does. */
  keyId: text("key_id"),
  /** An admin session's SHA-256 of the admin token it signed in with: rotating ADMIN_TOKEN ends it. */
  adminTokenHash: text("admin_token_hash"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  revokedAt: integer("revoked_at"),
});

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;

export async function insertSession(db: Db, row: ConsoleSessionRow): Promise<void> {
  await db.insert(consoleSessions).values(row);
}

/** An unexpired, unrevoked session with the state of its key and team, in one query. */
export function findUnexpiredSession(db: Db, hashedId: string, now: number) {
  const s = consoleSessions;
  return db
    .select({
      id: s.id,
      kind: s.kind,
      teamId: s.teamId,
      keyId: s.keyId,
      adminTokenHash: s.adminTokenHash,
      keyRevokedAt: apiKeys.revokedAt,
      keyExpiresAt: apiKeys.expiresAt,
      teamDeletedAt: teams.deletedAt,
    })
    .from(s)
    .leftJoin(apiKeys, eq(apiKeys.id, s.keyId))
    .leftJoin(teams, eq(teams.id, s.teamId))
    .where(and(eq(s.id, hashedId), isNull(s.revokedAt), gt(s.expiresAt, now)))
    .get();
}

export async function revokeSessionRow(db: Db, hashedId: string, now: number): Promise<void> {
  await db.update(consoleSessions).set({ revokedAt: now }).where(eq(consoleSessions.id, hashedId));
}

/** Forgets sessions that expired or were revoked more than a day ago. */
export async function purgeSessionRows(db: Db, now: number): Promise<void> {
  const s = consoleSessions;
  await db.delete(s).where(or(lt(s.expiresAt, now - 86400), lt(s.revokedAt, now - 86400)));
}
