#!/usr/bin/env node
// Copies Swagger UI from the swagger-ui-dist package into public/doc, which wrangler serves as
// static assets, so /doc needs no third-party host. public/doc is generated, not committed: `npm start`,
// `npm test` and `npm run build:doc-assets` run this script. The page itself (/doc) and its start-up
// script (/doc/init.js) are served by the worker (src/routes/docs/), so they are typechecked and tested.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const out = join(root, "public", "doc");
const files = [
  "swagger-ui.css",
  "swagger-ui-bundle.js",
  "favicon-16x16.png",
  "favicon-32x32.png",
  // Swagger UI is Apache-2.0: its licence and notices travel with the files we serve.
  "swagger-ui-bundle.js.LICENSE.txt",
  "LICENSE",
  "NOTICE",
];
// Start from an empty folder, so that public/doc holds exactly these files.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const file of files) copyFileSync(join(dist, file), join(out, file));
