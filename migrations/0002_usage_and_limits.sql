CREATE TABLE `usage_events` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`key_id` text NOT NULL,
	`kind` text NOT NULL,
	`model` text NOT NULL,
	`upstream` text NOT NULL,
	`started_at` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`cached_input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`unknown_usage` integer NOT NULL,
	`priced` integer NOT NULL,
	`input_cost_usd` real NOT NULL,
	`cached_input_cost_usd` real NOT NULL,
	`output_cost_usd` real NOT NULL
);
--> statement-breakpoint
CREATE INDEX `usage_events_batch` ON `usage_events` (`batch_id`);--> statement-breakpoint
CREATE INDEX `usage_events_team` ON `usage_events` (`team_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `usage_rollups` (
	`team_id` text NOT NULL,
	`width` integer NOT NULL,
	`bucket_start` integer NOT NULL,
	`kind` text NOT NULL,
	`key_id` text NOT NULL,
	`model` text NOT NULL,
	`upstream` text NOT NULL,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`cached_input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`unknown_usage_requests` integer NOT NULL,
	`unpriced_requests` integer NOT NULL,
	`input_cost_usd` real NOT NULL,
	`cached_input_cost_usd` real NOT NULL,
	`output_cost_usd` real NOT NULL,
	PRIMARY KEY(`team_id`, `width`, `kind`, `bucket_start`, `key_id`, `model`, `upstream`)
);
--> statement-breakpoint
CREATE INDEX `usage_rollups_range` ON `usage_rollups` (`width`,`kind`,`bucket_start`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `max_budget_usd` real;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `budget_period` text DEFAULT 'monthly' NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `rpm_limit` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `tpm_limit` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `max_budget_usd` real;--> statement-breakpoint
ALTER TABLE `teams` ADD `budget_period` text DEFAULT 'monthly' NOT NULL;--> statement-breakpoint
ALTER TABLE `teams` ADD `rpm_limit` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `tpm_limit` integer;