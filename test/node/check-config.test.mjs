// `npm start`'s configuration check, run by Node (`npm run test:node`): it needs a filesystem and
// wrangler's config reader, which workerd has not.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cliVars, configProblem, devVars } from "../../scripts/check-config.mjs";

const dir = mkdtempSync(join(tmpdir(), "gateway-start-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function project(name, toml, devVarsText) {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "wrangler.toml"), `name = "t"\nmain = "x.ts"\ncompatibility_date = "2026-04-01"\n${toml}`);
  if (devVarsText !== undefined) writeFileSync(join(path, ".dev.vars"), devVarsText);
  return path;
}

const ID_SECRET = "ID_SECRET=a-local-test-secret-0123456789\n";
const upstreams = JSON.stringify([{ name: "openai", base_url: "https://api.openai.com/v1", api_key_env: "OPENAI_API_KEY", models: ["gpt-*"] }]);

describe("npm start's configuration check", () => {
  it("reads --var as wrangler does", () => {
    assert.deepEqual(cliVars(["--port", "9000", "--var", "A:1", "B:x:y", "--var=C:", "--local"]), { A: "1", B: "x:y", C: "" });
  });

  it("merges wrangler.toml [vars], .dev.vars and --var, later ones winning", async () => {
    const cwd = project("merge", `[vars]\nA = "toml"\nB = "toml"\nC = "toml"\n`, "B=devvars\nC=devvars\n");
    const vars = await devVars(["--var", "C:cli"], cwd);
    assert.equal(vars.A, "toml");
    assert.equal(vars.B, "devvars");
    assert.equal(vars.C, "cli");
  });

  it("passes a good configuration, the secret coming from .dev.vars", async () => {
    const cwd = project("good", `[vars]\nUPSTREAMS = '${upstreams}'\n`, `OPENAI_API_KEY=sk-test\n${ID_SECRET}`);
    assert.equal(await configProblem([], cwd), null);
  });

  it("names the problem of a bad UPSTREAMS", async () => {
    const cwd = project("missing-secret", `[vars]\nUPSTREAMS = '${upstreams}'\n`, `ADMIN_TOKEN=x\n${ID_SECRET}`);
    assert.match(await configProblem([], cwd), /^UPSTREAMS upstream 'openai' names the secret OPENAI_API_KEY in api_key_env, but it is not set/);
    assert.match(await configProblem(["--var", "UPSTREAMS:[{"], cwd), /^UPSTREAMS is not valid JSON/);
  });

  it("names every other variable parseConfig checks", async () => {
    const cwd = project("others", "", "");
    assert.match(await configProblem(["--var", "STORE_RETENTION_DAYS:-1"], cwd), /^STORE_RETENTION_DAYS must be at least 0, but is -1/);
    assert.match(await configProblem(["--var", "RETRY_ATTEMPTS:two"], cwd), /^RETRY_ATTEMPTS must be a whole number/);
    assert.match(await configProblem(["--var", "USAGE_COUNTING:maybe"], cwd), /^USAGE_COUNTING must be one of/);
  });

  it("names ID_SECRET when a deploy has none, or one too short to key a MAC", async () => {
    const cwd = project("no-id-secret", "", "ADMIN_TOKEN=x\n");
    assert.match(await configProblem([], cwd), /^ID_SECRET is not set\. It keys the MAC in the completion ids/);
    assert.match(await configProblem(["--var", "ID_SECRET:short"], cwd), /^ID_SECRET must be at least 16 characters long, but has 5/);
    assert.equal(await configProblem(["--var", "ID_SECRET:0123456789abcdef"], cwd), null);
  });

  it("stops `node scripts/check-config.mjs` with exit code 1 and the message", () => {
    const cwd = project("cli", `[vars]\nUPSTREAMS = '[{"name":"a","name2":1}]'\n`);
    const result = spawnSync(process.execPath, [join(import.meta.dirname, "..", "..", "scripts", "check-config.mjs")], { cwd, encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /UPSTREAMS upstream 'a' has an unknown field "name2"/);
  });
});
