import type { Context } from "hono";

// The explorer is Swagger UI, served from the worker's own static assets (public/doc, copied from
// swagger-ui-dist by scripts/copy-doc-assets.mjs): no third-party host, so the CSP allows only 'self'.

export const DOC_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>LLM gateway API</title>
  <link rel="stylesheet" href="/doc/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/doc/swagger-ui-bundle.js"></script>
  <script src="/doc/init.js"></script>
</body>
</html>`;

export function serveDocPage(c: Context): Response {
  return c.html(PAGE, 200, { "content-security-policy": DOC_CSP });
}
