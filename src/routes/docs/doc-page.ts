import type { Context } from "hono";

// The explorer is Swagger UI, served from the worker's own static assets (public/doc, copied from
// swagger-ui-dist by scripts/copy-doc-assets.mjs): no third-party host, so the CSP allows only 'self'.
// The page and its start-up script are served from here; docs.index.ts wires them and the files.
//
// - No inline script: SwaggerUIBundle is started by /doc/init.js, so script-src is just 'self'.
// - style-src 'self' with no 'unsafe-inline': Swagger UI's styles come from swagger-ui.css, and React
//   sets the few computed styles it needs through the CSSOM (element.style), which CSP does not govern.
//   The e2e test (e2e/run.mjs) fails on any CSP violation, so a Swagger UI upgrade that needs more shows up.
// - img-src data: is for the icons that swagger-ui.css embeds as data: URIs.
// - connect-src 'self': the spec and "Try it out" both go to this origin (the document's `servers`).
export const DOC_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>LLM gateway API</title>
  <link rel="icon" type="image/png" href="/doc/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/doc/favicon-16x16.png" sizes="16x16">
  <link rel="stylesheet" href="/doc/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <noscript>The API explorer needs JavaScript. The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
  <script src="/doc/swagger-ui-bundle.js"></script>
  <script src="/doc/init.js"></script>
</body>
</html>`;

/**
 * Starts Swagger UI on the gateway's own OpenAPI document. `validatorUrl: null` turns off the badge that
 * would call validator.swagger.io; `queryConfigEnabled` stays off, so no ?url= can load another spec.
 */
const DOC_INIT_JS = `"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  persistAuthorization: true,
  deepLinking: true,
  displayRequestDuration: true,
  filter: true,
  validatorUrl: null,
  queryConfigEnabled: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

export function serveDocPage(c: Context): Response {
  return c.html(PAGE, 200, { "content-security-policy": DOC_CSP, "cache-control": "no-cache" });
}

export function serveDocInitScript(c: Context): Response {
  return c.body(DOC_INIT_JS, 200, {
    "content-type": "text/javascript; charset=utf-8",
    "content-security-policy": DOC_CSP,
    "cache-control": "no-cache",
  });
}
