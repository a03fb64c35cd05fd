import { applyD1Migrations, env } from "cloudflare:test";
import { shardDatabases } from "../../src/store/shards";

// Every store shard gets every migration, as `npm start` and the deploy script do.
for (const d1 of shardDatabases(env)) await applyD1Migrations(d1, env.TEST_MIGRATIONS);
