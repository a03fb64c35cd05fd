-- The store at scale: bodies in R2, a slim index in D1, teams over D1 shards.
-- Applied to every shard; the control database (DB, shard 0) also uses team_store.

-- The shard map (control database): each team's shard and its integer id, which names it in the
-- shard's tables and in R2 keys. AUTOINCREMENT: an id is never reused, even after a team is purged.
CREATE TABLE `team_store` (
	`store_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`shard` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `team_store_team` ON `team_store` (`team_id`);
--> statement-breakpoint
INSERT INTO `team_store` (`team_id`, `shard`) SELECT `id`, 0 FROM `teams` ORDER BY `created_at`, `id`;
--> statement-breakpoint
-- One row per stored completion. `id` is the minted id without its `chatcmpl-` prefix. `loc` says
-- where the body is: 1 in R2, 0 still inline in the old tables (moved by the background job).
CREATE TABLE `completion_index` (
	`tid` integer NOT NULL,
	`id` text NOT NULL,
	`created` integer NOT NULL,
	`model` text NOT NULL,
	`meta` text,
	`at` integer NOT NULL,
	`conv` integer,
	`up` text,
	`msgs` integer NOT NULL,
	`bytes` integer NOT NULL,
	`loc` integer NOT NULL,
	PRIMARY KEY(`tid`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `completion_index_created` ON `completion_index` (`tid`,`created`,`id`);
--> statement-breakpoint
CREATE INDEX `completion_index_model` ON `completion_index` (`tid`,`model`,`created`,`id`);
--> statement-breakpoint
CREATE INDEX `completion_index_conv` ON `completion_index` (`tid`,`conv`) WHERE `conv` IS NOT NULL;
--> statement-breakpoint
CREATE INDEX `completion_index_at` ON `completion_index` (`at`);
--> statement-breakpoint
-- Metadata for filtering, stored once: the table is its own index, already in list order.
CREATE TABLE `completion_filters` (
	`tid` integer NOT NULL,
	`k` text NOT NULL,
	`v` text NOT NULL,
	`created` integer NOT NULL,
	`id` text NOT NULL,
	PRIMARY KEY(`tid`, `k`, `v`, `created`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
-- Completions stored inline so far keep working: each gets its index row now (loc 0), and the
-- background job moves its body to R2 later. A minted id (chatcmpl- + 26 base32 digits) is keyed
-- without its prefix, as src/ids.ts compactId does (one GLOB of 26 classes is too long for D1).
INSERT INTO `completion_index` (`tid`, `id`, `created`, `model`, `meta`, `at`, `conv`, `up`, `msgs`, `bytes`, `loc`)
SELECT s.`store_id`, CASE WHEN length(c.`id`) = 35 AND substr(c.`id`, 1, 9) = 'chatcmpl-' AND substr(c.`id`, 10) NOT GLOB '*[^0-9a-hjkmnp-tv-z]*' THEN substr(c.`id`, 10) ELSE c.`id` END,
	c.`created`, c.`model`, NULLIF(c.`metadata`, '{}'), c.`stored_at`, NULL, c.`upstream`, c.`message_count`, 0, 0
FROM `completions` c JOIN `team_store` s ON s.`team_id` = c.`team_id`;
--> statement-breakpoint
INSERT INTO `completion_filters` (`tid`, `k`, `v`, `created`, `id`)
SELECT s.`store_id`, m.`key`, m.`value`, m.`created`, CASE WHEN length(m.`completion_id`) = 35 AND substr(m.`completion_id`, 1, 9) = 'chatcmpl-' AND substr(m.`completion_id`, 10) NOT GLOB '*[^0-9a-hjkmnp-tv-z]*' THEN substr(m.`completion_id`, 10) ELSE m.`completion_id` END
FROM `completion_metadata` m JOIN `team_store` s ON s.`team_id` = m.`team_id`;
--> statement-breakpoint
DELETE FROM `completion_metadata`;
--> statement-breakpoint
-- The old tables are only read by id now (until the job has emptied them).
DROP INDEX `completions_team_created`;
--> statement-breakpoint
DROP INDEX `completions_team_model_created`;
--> statement-breakpoint
DROP INDEX `completions_stored_at`;
--> statement-breakpoint
DROP INDEX `completion_metadata_filter`;
