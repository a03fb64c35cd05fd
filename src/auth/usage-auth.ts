import { some } from "hono/combine";
import { createMiddleware } from "hono/factory";
import { requireAdminToken } from "./admin-auth";
import { requireTeamKey } from "./team-auth";
import type { AppEnv } from "../http/types";

/**
 * The usage and costs APIs take either the admin token (every team) or a team key (its own team):
 * Hono's `some` tries the admin check, then the key check, and answers the key check's 401 if both fail.
 */
export const requireUsageReader = [
  some(requireAdminToken, requireTeamKey),
  createMiddleware<AppEnv>(async (c, next) => {
    const key = c.get("apiKey");
    c.set("usageViewer", key ? { kind: "team", teamId: key.teamId } : { kind: "admin" });
    await next();
  }),
] as const;
