import { defineConfig } from "drizzle-kit";

// Every file that declares tables. Migrations 0005–0013 were written by hand; meta/0013_snapshot.json
// is the schema they leave, so that `npm run db:generate` writes only what changes after them.
export default defineConfig({
  dialect: "sqlite",
  schema: ["./src/db/schema.ts", "./src/db/responses-schema.ts", "./src/db/console-sessions.ts", "./src/db/upstream-stats.ts"],
  out: "./migrations",
});
