#!/usr/bin/env node
// `npm start [-- wrangler dev args]`: runs the gateway locally on a local D1.
// 1. Creates .dev.vars with a random ADMIN_TOKEN and ID_SECRET on first run (and adds an ID_SECRET if it has none).
// 2. Checks the configuration with the worker's own parser, and stops with the problem if it is bad.
// 3. Copies the /doc explorer's assets, builds the console, and applies the migrations to every local D1 (DB and each DB_SHARD_n).
// 4. Starts `wrangler dev`, passing any extra args through (e.g. --port 9000, --var KEY:VALUE).
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { configProblem } from "./check-config.mjs";
import { devVarValue, ensureDevVars } from "./dev-vars.mjs";
import { d1Bindings } from "./d1-bindings.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVars = join(root, ".dev.vars");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const args = process.argv.slice(2);

const written = ensureDevVars(devVars);
if (written.ADMIN_TOKEN) console.log(`\nCreated .dev.vars with a random ADMIN_TOKEN and ID_SECRET:\n  ADMIN_TOKEN=${written.ADMIN_TOKEN}\n`);
else if (written.ID_SECRET) console.log("\nAdded a random ID_SECRET to .dev.vars (it keys the MAC in minted completion ids).\n");

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: "inherit", env: { WRANGLER_SEND_METRICS: "false", ...process.env, CI: "true" } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const problem = await configProblem(args);
if (problem) {
  console.error(`\nnpm start: the gateway's configuration is not valid:\n  ${problem}\nFix it in wrangler.toml [vars], .dev.vars or --var (see .dev.vars.example), then run npm start again.\n`);
  process.exit(1);
}

run(process.execPath, [join(root, "scripts", "copy-doc-assets.mjs")]);
run(process.execPath, [join(root, "scripts", "build-console.mjs")]);
// The same local D1 as `wrangler dev` below: honour --persist-to (the e2e test passes a temp dir).
const persistArg = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persistTo = persistArg === -1 ? [] : args[persistArg].includes("=") ? [args[persistArg]] : ["--persist-to", args[persistArg + 1]];
// Every D1 binding (the control database and each store shard) gets every migration.
for (const binding of d1Bindings()) run(wrangler, ["d1", "migrations", "apply", binding, "--local", ...persistTo]);

const portArg = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
const port = portArg === -1 ? "8787" : args[portArg].includes("=") ? args[portArg].split("=")[1] : args[portArg + 1];
const adminToken = devVarValue(readFileSync(devVars, "utf8"), "ADMIN_TOKEN") ?? "<ADMIN_TOKEN from .dev.vars>";
console.log(`
  Gateway:  http://localhost:${port}/v1   (OpenAI base URL)
  Explorer: http://localhost:${port}/doc
  Console:  http://localhost:${port}/console/   (sign in with ADMIN_TOKEN or a team key)
  Get a key: curl -s http://localhost:${port}/admin/teams -H "authorization: Bearer ${adminToken}" -H "content-type: application/json" -d '{"name":"my-team"}'
             then POST /admin/teams/<team id>/keys the same way (see README, "Quick start").
`);

const dev = spawn(wrangler, ["dev", ...args], { cwd: root, stdio: "inherit", env: { WRANGLER_SEND_METRICS: "false", ...process.env } });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
