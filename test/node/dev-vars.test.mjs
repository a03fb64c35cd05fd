// `npm start`'s .dev.vars: the secrets it generates, and that it never replaces one already set.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { devVarValue, ensureDevVars } from "../../scripts/dev-vars.mjs";

const dir = mkdtempSync(join(tmpdir(), "gateway-dev-vars-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("npm start's .dev.vars", () => {
  it("is created with a random ADMIN_TOKEN and ID_SECRET, readable by its owner only", () => {
    const path = join(dir, "fresh.vars");
    const written = ensureDevVars(path);
    const text = readFileSync(path, "utf8");
    assert.equal(devVarValue(text, "ADMIN_TOKEN"), written.ADMIN_TOKEN);
    assert.equal(devVarValue(text, "ID_SECRET"), written.ID_SECRET);
    assert.ok(written.ID_SECRET.length >= 32);
    assert.notEqual(ensureDevVars(join(dir, "other.vars")).ID_SECRET, written.ID_SECRET);
    assert.equal(statSync(path).mode & 0o077, 0);
  });

  it("gets an ID_SECRET added when it has none, keeping everything else", () => {
    const path = join(dir, "older.vars");
    writeFileSync(path, "ADMIN_TOKEN=kept\nUPSTREAM_API_KEY=sk-kept");
    const written = ensureDevVars(path);
    const text = readFileSync(path, "utf8");
    assert.deepEqual(Object.keys(written), ["ID_SECRET"]);
    assert.equal(devVarValue(text, "ADMIN_TOKEN"), "kept");
    assert.equal(devVarValue(text, "UPSTREAM_API_KEY"), "sk-kept");
    assert.equal(devVarValue(text, "ID_SECRET"), written.ID_SECRET);
  });

  it("never replaces an ID_SECRET already set", () => {
    const path = join(dir, "set.vars");
    writeFileSync(path, "ID_SECRET=mine-0123456789abcdef\n");
    assert.deepEqual(ensureDevVars(path), {});
    assert.equal(readFileSync(path, "utf8"), "ID_SECRET=mine-0123456789abcdef\n");
  });
});
