import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { docAssetsMissing } from "../../errors";
import { DOC_CSP, serveDocInitScript, serveDocPage } from "./doc-page";
import type { AppEnv } from "../../http/types";

// The /doc explorer: the page and /doc/init.js come from doc-page.ts, every other /doc/* file from the
// worker's static assets (public/doc, see scripts/copy-doc-assets.mjs). wrangler.toml sets
// `run_worker_first = true`, so asset requests run this worker too and get the same secure headers
// (the full secureHeaders() set, plus the explorer's CSP) as the page.

/** The files the page loads; if one is missing, public/doc was not built. */
const REQUIRED_FILES = new Set(["/doc/swagger-ui.css", "/doc/swagger-ui-bundle.js"]);

export const docsRouter = new Hono<AppEnv>();

// The page headers (framing, COOP…) on top of the app-wide ones.
docsRouter.use("/doc", secureHeaders());
docsRouter.use("/doc/*", secureHeaders());

docsRouter.get("/doc", serveDocPage);
docsRouter.get("/doc/", (c) => c.redirect("/doc", 301));
docsRouter.get("/doc/init.js", serveDocInitScript);
docsRouter.get("/doc/*", async (c) => {
  const assets = c.env.ASSETS;
  if (!assets) throw docAssetsMissing();
  const asset = await assets.fetch(c.req.raw);
  if (asset.status === 404) {
    if (REQUIRED_FILES.has(c.req.path)) throw docAssetsMissing();
    return c.notFound();
  }
  // A fetched response's headers are immutable; copy it so the secure headers can be added.
  const response = new Response(asset.body, asset);
  response.headers.set("content-security-policy", DOC_CSP);
  return response;
});
