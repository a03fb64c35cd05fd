-- The prior-completion lookup takes, per conversation hash, the latest row of one day: with `at` in
-- the index it reads one row per hash, however many completions share it.
DROP INDEX IF EXISTS `completion_index_conv`;
--> statement-breakpoint
CREATE INDEX `completion_index_conv` ON `completion_index` (`tid`,`conv`,`at`) WHERE `conv` IS NOT NULL;
