CREATE TABLE `completion_tombstones` (
	`team_id` text NOT NULL,
	`completion_id` text NOT NULL,
	`deleted_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `completion_id`)
);
--> statement-breakpoint
CREATE TABLE `write_spool` (
	`team_id` text NOT NULL,
	`completion_id` text NOT NULL,
	`piece` integer NOT NULL,
	`pieces` integer NOT NULL,
	`data` text NOT NULL,
	`spooled_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `completion_id`, `piece`)
);
