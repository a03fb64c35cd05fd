#!/usr/bin/env node
// Copies Swagger UI from the swagger-ui-dist package into public/doc, which wrangler serves as
// static assets, so /doc needs no third-party host. public/doc is generated, not committed.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const out = join(root, "public", "doc");
mkdirSync(out, { recursive: true });
for (const file of ["swagger-ui.css", "swagger-ui-bundle.js"]) copyFileSync(join(dist, file), join(out, file));
