-- Money as INTEGER nano-dollars (1e-9 USD), never REAL: budgets, and the costs of usage events and
-- rollups, converted to the nearest nano-dollar. Usage counts images, speech characters and audio
-- seconds (`units`, priced in `units_cost_nano_usd`), and image sizes (`size`, in the rollups' key).
ALTER TABLE `teams` ADD `max_budget_nano_usd` integer;--> statement-breakpoint
UPDATE `teams` SET `max_budget_nano_usd` = CAST(round(`max_budget_usd` * 1000000000) AS INTEGER) WHERE `max_budget_usd` IS NOT NULL;--> statement-breakpoint
ALTER TABLE `teams` DROP COLUMN `max_budget_usd`;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `max_budget_nano_usd` integer;--> statement-breakpoint
UPDATE `api_keys` SET `max_budget_nano_usd` = CAST(round(`max_budget_usd` * 1000000000) AS INTEGER) WHERE `max_budget_usd` IS NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` DROP COLUMN `max_budget_usd`;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `units` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `size` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `input_cost_nano_usd` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `cached_input_cost_nano_usd` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `output_cost_nano_usd` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `units_cost_nano_usd` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `usage_events` SET
	`input_cost_nano_usd` = CAST(round(`input_cost_usd` * 1000000000) AS INTEGER),
	`cached_input_cost_nano_usd` = CAST(round(`cached_input_cost_usd` * 1000000000) AS INTEGER),
	`output_cost_nano_usd` = CAST(round(`output_cost_usd` * 1000000000) AS INTEGER);--> statement-breakpoint
ALTER TABLE `usage_events` DROP COLUMN `input_cost_usd`;--> statement-breakpoint
ALTER TABLE `usage_events` DROP COLUMN `cached_input_cost_usd`;--> statement-breakpoint
ALTER TABLE `usage_events` DROP COLUMN `output_cost_usd`;--> statement-breakpoint
CREATE TABLE `__new_usage_rollups` (
	`team_id` text NOT NULL,
	`width` integer NOT NULL,
	`bucket_start` integer NOT NULL,
	`kind` text NOT NULL,
	`key_id` text NOT NULL,
	`model` text NOT NULL,
	`upstream` text NOT NULL,
	`size` text DEFAULT '' NOT NULL,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`cached_input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`unknown_usage_requests` integer NOT NULL,
	`unpriced_requests` integer NOT NULL,
	`units` integer DEFAULT 0 NOT NULL,
	`input_cost_nano_usd` integer DEFAULT 0 NOT NULL,
	`cached_input_cost_nano_usd` integer DEFAULT 0 NOT NULL,
	`output_cost_nano_usd` integer DEFAULT 0 NOT NULL,
	`units_cost_nano_usd` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`team_id`, `width`, `kind`, `bucket_start`, `key_id`, `model`, `upstream`, `size`)
);
--> statement-breakpoint
INSERT INTO `__new_usage_rollups` (`team_id`, `width`, `bucket_start`, `kind`, `key_id`, `model`, `upstream`, `size`, `requests`, `input_tokens`,
	`cached_input_tokens`, `output_tokens`, `unknown_usage_requests`, `unpriced_requests`, `units`, `input_cost_nano_usd`, `cached_input_cost_nano_usd`,
	`output_cost_nano_usd`, `units_cost_nano_usd`)
SELECT `team_id`, `width`, `bucket_start`, `kind`, `key_id`, `model`, `upstream`, '', `requests`, `input_tokens`, `cached_input_tokens`, `output_tokens`,
	`unknown_usage_requests`, `unpriced_requests`, 0, CAST(round(`input_cost_usd` * 1000000000) AS INTEGER),
	CAST(round(`cached_input_cost_usd` * 1000000000) AS INTEGER), CAST(round(`output_cost_usd` * 1000000000) AS INTEGER), 0
FROM `usage_rollups`;--> statement-breakpoint
DROP TABLE `usage_rollups`;--> statement-breakpoint
ALTER TABLE `__new_usage_rollups` RENAME TO `usage_rollups`;--> statement-breakpoint
CREATE INDEX `usage_rollups_range` ON `usage_rollups` (`width`,`kind`,`bucket_start`);
