-- The Responses API's index: bodies (the response, its resolved input, its output) live in R2 under
-- t/{team}/{yyyy-mm-dd}/r/{id}; D1 keeps what retention, deletion and listing need.
CREATE TABLE `responses` (
	`team_id` text NOT NULL,
	`id` text NOT NULL,
	`created` integer NOT NULL,
	`model` text NOT NULL,
	`status` text NOT NULL,
	`stored_at` integer NOT NULL,
	`body_key` text NOT NULL,
	`body_bytes` integer NOT NULL,
	`upstream` text,
	`previous_response_id` text,
	`conversation_id` text,
	PRIMARY KEY(`team_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `responses_team_created` ON `responses` (`team_id`,`created`,`id`);
--> statement-breakpoint
CREATE INDEX `responses_stored_at` ON `responses` (`stored_at`,`team_id`,`id`);
--> statement-breakpoint
CREATE TABLE `response_tombstones` (
	`team_id` text NOT NULL,
	`response_id` text NOT NULL,
	`deleted_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `response_id`)
);
--> statement-breakpoint
CREATE TABLE `conversations` (
	`team_id` text NOT NULL,
	`id` text NOT NULL,
	`created_at` integer NOT NULL,
	`metadata` text NOT NULL,
	PRIMARY KEY(`team_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `conversation_items` (
	`team_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`seq` integer NOT NULL,
	`item_id` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`team_id`, `conversation_id`, `seq`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversation_items_item` ON `conversation_items` (`team_id`,`conversation_id`,`item_id`);
--> statement-breakpoint
CREATE INDEX `conversation_items_by_item` ON `conversation_items` (`team_id`,`item_id`);
