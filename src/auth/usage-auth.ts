import { createMiddleware } from "hono/factory";
import { ApiError, usageAdminTokenNotConfigured } from "../errors";
import { hasAdminToken } from "./admin-auth";
import { authenticateTeamKey } from "./team-auth";
import type { AppEnv } from "../http/types";

/**
 * The usage and costs APIs take either the admin token (every team) or a team key (its own team).
 * A token that is neither gets the team key check's 401; with no ADMIN_TOKEN configured, a 401 that
 * says so, since the caller may well be holding what they believe is the admin token.
 */
export const requireUsageReader = createMiddleware<AppEnv>(async (c, next) => {
  if (await hasAdminToken(c)) {
    c.set("usageViewer", { kind: "admin" });
    return next();
  }
  try {
    const key = await authenticateTeamKey(c);
    c.set("apiKey", key);
    c.set("usageViewer", { kind: "team", teamId: key.teamId });
  } catch (err) {
    if (!c.env.ADMIN_TOKEN && err instanceof ApiError && err.status === 401) throw usageAdminTokenNotConfigured(err.message);
    throw err;
  }
  await next();
});
