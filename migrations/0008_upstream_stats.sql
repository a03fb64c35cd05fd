-- Per-upstream outcomes of proxied requests: answered or failed, fallen back or not, and a latency
-- histogram, rolled up per minute, hour and day like usage. Hand-written, and declared outside
-- src/db/schema.ts (src/db/upstream-stats.ts) so that `npm run db:generate` never emits them again.
-- Events are kept a few days only, so that a redelivered queue message is recognised by its id.
CREATE TABLE `upstream_events` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`upstream` text NOT NULL,
	`started_at` integer NOT NULL,
	`failed` integer NOT NULL,
	`fell_back` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`latency_bucket` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `upstream_events_batch` ON `upstream_events` (`batch_id`);
--> statement-breakpoint
CREATE INDEX `upstream_events_team` ON `upstream_events` (`team_id`, `started_at`);
--> statement-breakpoint
CREATE TABLE `upstream_rollups` (
	`team_id` text NOT NULL,
	`width` integer NOT NULL,
	`bucket_start` integer NOT NULL,
	`upstream` text NOT NULL,
	`requests` integer NOT NULL,
	`errors` integer NOT NULL,
	`fallbacks` integer NOT NULL,
	`latency_ms_sum` integer NOT NULL,
	`latency_0` integer NOT NULL,
	`latency_1` integer NOT NULL,
	`latency_2` integer NOT NULL,
	`latency_3` integer NOT NULL,
	`latency_4` integer NOT NULL,
	`latency_5` integer NOT NULL,
	`latency_6` integer NOT NULL,
	`latency_7` integer NOT NULL,
	`latency_8` integer NOT NULL,
	`latency_9` integer NOT NULL,
	`latency_10` integer NOT NULL,
	`latency_11` integer NOT NULL,
	`latency_12` integer NOT NULL,
	`latency_13` integer NOT NULL,
	`latency_14` integer NOT NULL,
	`latency_15` integer NOT NULL,
	PRIMARY KEY(`team_id`, `width`, `bucket_start`, `upstream`)
);
--> statement-breakpoint
CREATE INDEX `upstream_rollups_range` ON `upstream_rollups` (`width`, `bucket_start`);
