-- Conversation items' bodies move to R2 (t/{team}/conv/{conversation}/{item}); D1 keeps their index.
-- `data` stays, nullable, for items written before: a row with no body_key has its JSON there.
CREATE TABLE `conversation_items_new` (
	`team_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`seq` integer NOT NULL,
	`item_id` text NOT NULL,
	`data` text,
	`created_at` integer NOT NULL DEFAULT 0,
	`bytes` integer NOT NULL DEFAULT 0,
	`body_key` text,
	PRIMARY KEY(`team_id`, `conversation_id`, `seq`)
);
--> statement-breakpoint
INSERT INTO `conversation_items_new` (`team_id`, `conversation_id`, `seq`, `item_id`, `data`, `bytes`)
	SELECT `team_id`, `conversation_id`, `seq`, `item_id`, `data`, length(`data`) FROM `conversation_items`;
--> statement-breakpoint
DROP TABLE `conversation_items`;
--> statement-breakpoint
ALTER TABLE `conversation_items_new` RENAME TO `conversation_items`;
--> statement-breakpoint
CREATE UNIQUE INDEX `conversation_items_item` ON `conversation_items` (`team_id`,`conversation_id`,`item_id`);
--> statement-breakpoint
CREATE INDEX `conversation_items_by_item` ON `conversation_items` (`team_id`,`item_id`);
