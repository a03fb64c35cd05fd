import { createMiddleware } from "hono/factory";
import { endpointNotAvailable } from "../../errors";
import { refusedArea } from "./refused.endpoints";
import type { AppEnv } from "../../http/types";

/**
 * Answers a refused OpenAI endpoint with 404 and the reason, and never forwards it. Registered
 * after every router, so it runs only for requests that no route took: it costs the hot path nothing.
 */
export const refuseUnavailableEndpoints = createMiddleware<AppEnv>(async (c, next) => {
  const area = refusedArea(c.req.method, c.req.path);
  if (area) throw endpointNotAvailable(c.req.method, c.req.path, area.reason);
  await next();
});
