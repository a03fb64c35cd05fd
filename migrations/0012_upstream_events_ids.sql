-- An upstream outcome's own row is only its dedupe guard: its time and id, in one WITHOUT ROWID
-- b-tree keyed by time (the purge is a range), no team, no batch id and no other index. What an
-- outcome says lives in the rollups only (src/db/upstream-stats.ts). The ids still within the
-- redelivery window are kept.
CREATE TABLE `upstream_events_ids` (
	`started_at` integer NOT NULL,
	`id` text NOT NULL,
	PRIMARY KEY(`started_at`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `upstream_events_ids` (`started_at`, `id`) SELECT `started_at`, `id` FROM `upstream_events`;
--> statement-breakpoint
DROP TABLE `upstream_events`;
--> statement-breakpoint
ALTER TABLE `upstream_events_ids` RENAME TO `upstream_events`;
