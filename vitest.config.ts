import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // An empty D1 of its own, for the test that applies the migrations one by one to old rows.
          d1Databases: ["MIGRATION_DB"],
          // Every variable is set here, so that a developer's .dev.vars cannot change a test.
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token",
            ID_SECRET: "test-id-secret-not-for-production",
            UPSTREAM_BASE_URL: "http://upstream.test/v1",
            UPSTREAM_API_KEY: "sk-upstream-secret",
            UPSTREAM_TIMEOUT_MS: "600000",
            UPSTREAM_IDLE_TIMEOUT_MS: "300000",
            MAX_BODY_BYTES: "10485760",
            KEY_CACHE_TTL_MS: "30000",
            STORE_RETENTION_DAYS: "30",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/helpers/apply-migrations.ts"],
      testTimeout: 30_000,
    },
  };
});
