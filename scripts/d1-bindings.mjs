#!/usr/bin/env node
// The D1 bindings of wrangler.toml (DB, then each store shard), for the scripts that migrate them all.
// Run directly, it applies the migrations to every one of them remotely (`npm run deploy`).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function d1Bindings() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  return [...toml.matchAll(/\[\[d1_databases\]\]\s*\nbinding\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wrangler = join(root, "node_modules", ".bin", "wrangler");
  for (const binding of d1Bindings()) {
    const result = spawnSync(wrangler, ["d1", "migrations", "apply", binding, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}
