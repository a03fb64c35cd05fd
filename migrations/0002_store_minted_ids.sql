DROP TABLE `completion_ids`;--> statement-breakpoint
ALTER TABLE `completions` ADD `upstream_id` text;--> statement-breakpoint
ALTER TABLE `completions` ADD `upstream` text;--> statement-breakpoint
CREATE INDEX `completions_stored_at` ON `completions` (`stored_at`,`team_id`,`id`);--> statement-breakpoint
ALTER TABLE `teams` ADD `deleted_at` integer;