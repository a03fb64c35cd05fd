CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`allowed_models` text,
	`revoked_at` integer,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_team` ON `api_keys` (`team_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `completion_messages` (
	`team_id` text NOT NULL,
	`completion_id` text NOT NULL,
	`idx` integer NOT NULL,
	`data` text,
	`data_parts` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`team_id`, `completion_id`, `idx`)
);
--> statement-breakpoint
CREATE TABLE `completion_metadata` (
	`team_id` text NOT NULL,
	`completion_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created` integer NOT NULL,
	PRIMARY KEY(`team_id`, `completion_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `completion_metadata_filter` ON `completion_metadata` (`team_id`,`key`,`value`,`created`,`completion_id`);--> statement-breakpoint
CREATE TABLE `completions` (
	`team_id` text NOT NULL,
	`id` text NOT NULL,
	`created` integer NOT NULL,
	`model` text NOT NULL,
	`metadata` text NOT NULL,
	`body` text,
	`body_parts` integer DEFAULT 0 NOT NULL,
	`message_count` integer NOT NULL,
	`stored_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `completions_team_created` ON `completions` (`team_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `completions_team_model_created` ON `completions` (`team_id`,`model`,`created`,`id`);--> statement-breakpoint
CREATE TABLE `payload_parts` (
	`team_id` text NOT NULL,
	`completion_id` text NOT NULL,
	`slot` integer NOT NULL,
	`part` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`team_id`, `completion_id`, `slot`, `part`)
);
--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
