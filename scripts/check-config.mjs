#!/usr/bin/env node
// Checks the configuration `wrangler dev` would run with, using the worker's own parser
// (src/config/index.ts, bundled with esbuild), so that `npm start` stops on a bad value with the
// same message the worker would log, instead of starting a gateway that answers 500 to everything.
// `node scripts/check-config.mjs [wrangler dev args]` exits 1 and prints the problem when the config is bad.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The value of a `--name value` or `--name=value` argument (or its short alias), or undefined. */
function argValue(args, names) {
  for (let i = 0; i < args.length; i++) {
    for (const name of names) {
      if (args[i] === name) return args[i + 1];
      if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
    }
  }
  return undefined;
}

/** `--var KEY:VALUE [KEY:VALUE…]`, as wrangler reads them (several after one flag, or the flag repeated). */
export function cliVars(args) {
  const vars = {};
  for (let i = 0; i < args.length; i++) {
    const pairs = [];
    if (args[i].startsWith("--var=")) pairs.push(args[i].slice("--var=".length));
    else if (args[i] === "--var") while (i + 1 < args.length && !args[i + 1].startsWith("-")) pairs.push(args[++i]);
    for (const pair of pairs) {
      const colon = pair.indexOf(":");
      if (colon > 0) vars[pair.slice(0, colon)] = pair.slice(colon + 1);
    }
  }
  return vars;
}

/**
 * The variables `wrangler dev` gives the worker: wrangler.toml [vars] (of --env, if given), then
 * .dev.vars (or .env files, with process env when CLOUDFLARE_INCLUDE_PROCESS_ENV is set, as wrangler
 * does), then --var. Read with wrangler's own functions, so that the merge is exactly wrangler's.
 */
export async function devVars(args, cwd = root) {
  const { unstable_readConfig, unstable_getVarsForDev } = await import("wrangler");
  const configPath = resolve(cwd, argValue(args, ["--config", "-c"]) ?? "wrangler.toml");
  const env = argValue(args, ["--env", "-e"]);
  const config = unstable_readConfig({ config: configPath, env });
  const bindings = unstable_getVarsForDev(config.userConfigPath ?? configPath, undefined, config.vars ?? {}, env, true);
  const vars = Object.fromEntries(Object.entries(bindings).map(([name, binding]) => [name, typeof binding === "object" && binding !== null && "value" in binding ? binding.value : binding]));
  return { ...vars, ...cliVars(args) };
}

/** The worker's parseConfig, bundled from TypeScript once per run. */
async function loadParseConfig() {
  const dir = mkdtempSync(join(tmpdir(), "gateway-config-"));
  try {
    const outfile = join(dir, "config.mjs");
    await build({ entryPoints: [join(root, "src", "config", "index.ts")], bundle: true, format: "esm", platform: "node", outfile, logLevel: "error" });
    return (await import(pathToFileURL(outfile).href)).parseConfig;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** null when the config is good; otherwise the problem, as the worker would name it. */
export async function configProblem(args, cwd = root) {
  const parseConfig = await loadParseConfig();
  const vars = await devVars(args, cwd);
  try {
    parseConfig(vars);
    return null;
  } catch (err) {
    if (err && typeof err === "object" && "variable" in err) return err.message;
    throw err;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problem = await configProblem(process.argv.slice(2), process.cwd());
  if (problem) {
    console.error(`\nThe gateway's configuration is not valid:\n  ${problem}\nFix it in wrangler.toml [vars], .dev.vars or --var (see .dev.vars.example).\n`);
    process.exit(1);
  }
  console.log("The configuration is valid.");
}
