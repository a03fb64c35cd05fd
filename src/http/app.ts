import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import { normalizeJsonMediaType } from "./json-media-type";
import { handleError } from "./on-error";
import type { AppEnv } from "./types";
import { requireAdminToken } from "../auth/admin-auth";
import { requireTeamKey } from "../auth/team-auth";
import { requireUsageReader } from "../auth/usage-auth";
import { ConfigError, readConfig } from "../config";
import { gatewayMisconfigured, methodNotAllowed, requestTooLarge, unknownUrl } from "../errors";
import { recordRequestFinished } from "./request-finished";
import { adminRouter } from "../routes/admin/admin.index";
import { adminUpstreamsRouter } from "../routes/admin/upstreams.index";
import { chatRouter } from "../routes/chat/chat.index";
import { completionsRouter } from "../routes/completions/completions.index";
import { consoleRouter } from "../routes/console/console.index";
import { conversationsRouter } from "../routes/conversations/conversations.index";
import { responsesRouter } from "../routes/responses/responses.index";
import { docsRouter } from "../routes/docs/docs.index";
import { usageRouter } from "../routes/usage/usage.index";
import { registerOpenApiDocument } from "../routes/docs/openapi";
import { allowedMethods } from "../routes/method-not-allowed";
import { modelsRouter } from "../routes/models/models.index";
import { PASS_THROUGH_PATHS } from "../routes/passthrough/passthrough.endpoints";
import { passThroughRouter } from "../routes/passthrough/passthrough.index";
import { refuseUnavailableEndpoints } from "../routes/refused/refused.middleware";

/** The HTTP app: middleware in the order a request meets it, then every router. */
export const app = new OpenAPIHono<AppEnv>();

// Every answer gets nosniff, HSTS, no-referrer and same-origin CORP, in one pass. The headers that
// only mean something for a page (framing, COOP, DNS prefetch…) cost ~40 µs per proxied request
// and are set on the explorer's pages alone (docs.index.ts), which also get a strict CSP.
app.use(
  secureHeaders({
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  }),
);
app.use(
  createMiddleware<AppEnv>(async (c, next) => {
    try {
      c.set("config", readConfig(c.env));
    } catch (err) {
      if (err instanceof ConfigError) throw gatewayMisconfigured(err.message);
      throw err;
    }
    await next();
  }),
);
const limitBody = createMiddleware<AppEnv>((c, next) =>
  bodyLimit({
    maxSize: c.get("config").maxBodyBytes,
    onError: () => {
      throw requestTooLarge(c.get("config").maxBodyBytes);
    },
  })(c, next),
);
app.use("/v1/*", limitBody, normalizeJsonMediaType);
// The organization usage and costs APIs also take the admin token; everything else needs a team key.
// Not Hono's except(): it runs a router and two combinators per request, ~15 µs on the hot path.
app.use("/v1/*", (c, next) => (c.req.path.startsWith("/v1/organization/") ? next() : requireTeamKey(c, next)));
app.use("/v1/organization/*", requireUsageReader);
app.on("POST", ["/v1/chat/completions", "/v1/responses", ...PASS_THROUGH_PATHS], recordRequestFinished);
app.use("/admin/*", limitBody, requireAdminToken, normalizeJsonMediaType);
app.use("/console/*", limitBody, normalizeJsonMediaType);

app.route("/", chatRouter);
app.route("/", completionsRouter);
app.route("/", responsesRouter);
app.route("/", conversationsRouter);
app.route("/", modelsRouter);
// Typed as a plain router: nothing uses the app's merged route types (there is no RPC client), and
// with every pass-through route's documented answers they exceed what tsc can represent (TS2590).
app.route("/", passThroughRouter as unknown as OpenAPIHono<AppEnv>);
app.route("/", adminRouter);
app.route("/", adminUpstreamsRouter);
app.route("/", usageRouter);
app.route("/", consoleRouter);
registerOpenApiDocument(app);
app.route("/", docsRouter);
app.get("/", (c) => c.redirect("/doc"));
// After every router: only a request that no route took reaches it.
app.use("/v1/*", refuseUnavailableEndpoints);

app.notFound((c) => {
  const allowed = allowedMethods(app, c.req.path);
  if (allowed.length > 0 && !allowed.includes(c.req.method)) return methodNotAllowed(c.req.method, c.req.path, allowed).toResponse();
  return unknownUrl(c.req.method, c.req.path).toResponse();
});
app.onError(handleError);
