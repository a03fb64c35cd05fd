import { createMiddleware } from "hono/factory";

// @hono/zod-openapi's media-type gate matches `application/json` and its parameters with one
// regular expression: `application/json ; charset=utf-8`, `application/json;` or an empty
// parameter, all valid media types (RFC 9110, 8.3.1), get 415. A JSON request is given its bare
// media type here, before any route, so every spelling of it is validated alike. JSON has no
// parameters that change how it is read (RFC 8259 is UTF-8 only), so none is lost.

const JSON_ESSENCE = /^application\/([\w.-]+\+)?json$/;

/** The bare JSON media type of a Content-Type, lowercased, or null when it is not JSON. */
function jsonMediaType(contentType: string): string | null {
  const essence = contentType.split(";", 1)[0].trim().toLowerCase();
  return JSON_ESSENCE.test(essence) ? essence : null;
}

export const normalizeJsonMediaType = createMiddleware(async (c, next) => {
  const contentType = c.req.header("content-type");
  // The official SDKs send exactly this: no new Request on the hot path.
  if (contentType && contentType !== "application/json") {
    const essence = jsonMediaType(contentType);
    if (essence && essence !== contentType) {
      const headers = new Headers(c.req.raw.headers);
      headers.set("content-type", essence);
      c.req.raw = new Request(c.req.raw, { headers });
    }
  }
  await next();
});
