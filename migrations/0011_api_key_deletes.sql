-- Keys are revoked (they stop working and stay listed, with `revoked_at`) or deleted (they also
-- leave every list: `deleted_at`). The row stays, so usage keeps naming the key that made it.
-- Until now DELETE /admin/keys/{id} was the only way to end a key and it hid the key from lists:
-- every key ended so far counts as deleted, and stays hidden.
ALTER TABLE `api_keys` ADD `deleted_at` integer;--> statement-breakpoint
UPDATE `api_keys` SET `deleted_at` = `revoked_at` WHERE `revoked_at` IS NOT NULL;
