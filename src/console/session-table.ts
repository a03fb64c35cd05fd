import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Declared for queries only: migrations/0007_console_sessions.sql creates it by hand, and it stays
// out of src/db/schema.ts so that `npm run db:generate` never emits it a second time.

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
