// The console's first load: its page, script and stylesheet, built as `npm start` builds them, must
// weigh at most 60 KB gzipped in all (run by Node: it needs esbuild and a filesystem).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { it } from "node:test";
import { buildConsole, consoleOut } from "../../scripts/build-console.mjs";

const LIMIT_BYTES = 60 * 1024;

it("builds the console into at most 60 KB gzipped, all of it loaded by index.html", async () => {
  await buildConsole();
  const files = readdirSync(consoleOut).sort();
  assert.deepEqual(files, ["app.css", "app.js", "index.html"]);
  const html = readFileSync(join(consoleOut, "index.html"), "utf8");
  for (const file of ["app.css", "app.js"]) assert.ok(html.includes(`/console/${file}`), `index.html does not load ${file}`);
  // Nothing is loaded from elsewhere.
  assert.doesNotMatch(html, /https?:\/\//);
  const gzipped = files.map((file) => gzipSync(readFileSync(join(consoleOut, file)), { level: 9 }).length);
  const total = gzipped.reduce((a, b) => a + b, 0);
  assert.ok(total <= LIMIT_BYTES, `the console's first load is ${total} bytes gzipped, over ${LIMIT_BYTES}`);
  // The chart library is in the bundle, not fetched at run time.
  assert.match(readFileSync(join(consoleOut, "app.js"), "utf8"), /u-legend/);
});
