-- Console sign-in sessions. Hand-written: the table is not part of the Drizzle schema that
-- `npm run db:generate` diffs (src/console/session-table.ts declares it for queries only).
-- `id` is the SHA-256 of the cookie's random session id, so a read of this table signs no one in.
CREATE TABLE `console_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`team_id` text,
	`key_id` text,
	`admin_token_hash` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `console_sessions_expires` ON `console_sessions` (`expires_at`);
