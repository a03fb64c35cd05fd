import { Hono } from "hono";
import { adminApiGate, requireConsoleSession, sameOriginWrites, scopeToTeam, sessionUsageViewer } from "../../console/auth";
import type { ConsoleEnv } from "../../console/env";
import { adminRouter } from "../admin/admin.index";
import { completionsRouter } from "../completions/completions.index";
import { usageRouter } from "../usage/usage.index";
import { completionDetail, exportCompletions, listCompletionsPage } from "./console.completions";
import { listResponsesPage, responseDetail } from "./console.responses";
import { signIn, signOut, whoAmI } from "./console.session";
import { upstreamSeries } from "./console.upstreams";
import { usageSeries } from "./console.usage";

// The console's JSON endpoints. Its page and script are static assets (public/console, built from
// console/ by scripts/build-console.mjs) that never run the worker. Everything here answers from a
// session cookie; the existing routers are mounted as they are, with the session standing in for
// the token: stored completions (/console/api/teams/:team/v1/chat/completions...), the usage and
// costs APIs (/console/api/v1/organization/...) and the admin API (/console/api/admin/...).
// A plain Hono router: these routes stay out of the OpenAPI document, which describes the API.

export const consoleRouter = new Hono<ConsoleEnv>();

consoleRouter.use("/console/session", sameOriginWrites);
consoleRouter.use("/console/api/*", sameOriginWrites, requireConsoleSession);
// Nothing here may be cached by a browser or a proxy: it is one session's data.
consoleRouter.use("/console/*", async (c, next) => {
  await next();
  c.header("cache-control", "no-store");
});

consoleRouter.post("/console/session", signIn);
consoleRouter.delete("/console/session", signOut);
consoleRouter.get("/console/session", requireConsoleSession, whoAmI);

consoleRouter.get("/console/api/usage", usageSeries);
consoleRouter.get("/console/api/upstreams", upstreamSeries);
consoleRouter.use("/console/api/v1/organization/*", sessionUsageViewer);
consoleRouter.route("/console/api", usageRouter);

consoleRouter.use("/console/api/admin/*", adminApiGate);
consoleRouter.route("/console/api", adminRouter);

consoleRouter.use("/console/api/teams/:team/*", scopeToTeam);
consoleRouter.get("/console/api/teams/:team/completions", listCompletionsPage);
consoleRouter.get("/console/api/teams/:team/completions/:id", completionDetail);
consoleRouter.get("/console/api/teams/:team/export", exportCompletions);
consoleRouter.get("/console/api/teams/:team/responses", listResponsesPage);
consoleRouter.get("/console/api/teams/:team/responses/:id", responseDetail);
consoleRouter.route("/console/api/teams/:team", completionsRouter);
