CREATE TABLE `completion_ids` (
	`team_id` text NOT NULL,
	`id` text NOT NULL,
	`claimed_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `id`)
);
