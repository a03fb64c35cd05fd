import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import { type AppEnv, handleError } from "./app";
import { requireAdminToken } from "./auth/admin-auth";
import { requireTeamKey } from "./auth/team-auth";
import { readConfig } from "./env";
import { ApiError } from "./errors";
import { adminRouter } from "./routes/admin/admin.index";
import { chatRouter } from "./routes/chat/chat.index";
import { completionsRouter } from "./routes/completions/completions.index";
import { docsRouter } from "./routes/docs/docs.index";
import { registerOpenApiDocument } from "./routes/docs/openapi";
import { allowedMethods, methodNotAllowed } from "./routes/method-not-allowed";

const app = new OpenAPIHono<AppEnv>();

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
    c.set("config", readConfig(c.env));
    await next();
  }),
);
const limitBody = createMiddleware<AppEnv>((c, next) =>
  bodyLimit({
    maxSize: c.var.config.maxBodyBytes,
    onError: () => {
      throw new ApiError(413, `The request body is larger than the ${c.var.config.maxBodyBytes} bytes allowed.`, "invalid_request_error", null, "request_too_large");
    },
  })(c, next),
);
app.use("/v1/*", limitBody, requireTeamKey);
app.use("/admin/*", limitBody, requireAdminToken);

app.route("/", chatRouter);
app.route("/", completionsRouter);
app.route("/", adminRouter);
registerOpenApiDocument(app);
app.route("/", docsRouter);
app.get("/", (c) => c.redirect("/doc"));

app.notFound((c) => {
  const allowed = allowedMethods(app, c.req.path);
  if (allowed.length > 0 && !allowed.includes(c.req.method)) return methodNotAllowed(c.req.method, c.req.path, allowed).toResponse();
  return new ApiError(404, `Unknown request URL: ${c.req.method} ${c.req.path}.`, "invalid_request_error", null, "unknown_url").toResponse();
});
app.onError(handleError);

export default app;
