-- Packs of stored completions' answers in R2, one row per pack: a list page finds the pack of each of
-- its rows by the (tid, created, id) key, and retention drops them by `at` with their R2 day.
CREATE TABLE `completion_packs` (
	`tid` integer NOT NULL,
	`created` integer NOT NULL,
	`id` text NOT NULL,
	`last_created` integer NOT NULL,
	`last_id` text NOT NULL,
	`at` integer NOT NULL,
	`n` integer NOT NULL,
	`ready` integer NOT NULL,
	PRIMARY KEY(`tid`, `created`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `completion_packs_at` ON `completion_packs` (`at`);
