import { createMiddleware } from "hono/factory";
import { timingSafeEqual } from "hono/utils/buffer";
import { invalidApiKey } from "../errors";
import { bearerToken } from "./bearer";
import type { AppContext, AppEnv } from "../http/types";

// Hono's bearerAuth takes its token when the middleware is built, but ADMIN_TOKEN is only known per
// request (from env), and a missing token must close the API rather than throw. So this uses
// Hono's constant-time comparison directly.

const unauthorized = (message: string) => invalidApiKey(message, "admin");

/** True when ADMIN_TOKEN is configured and the request's bearer token is it. */
export async function hasAdminToken(c: AppContext): Promise<boolean> {
  const expected = c.env.ADMIN_TOKEN;
  const token = bearerToken(c.req.header("authorization"));
  return Boolean(expected && token && (await timingSafeEqual(token, expected)));
}

export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.env.ADMIN_TOKEN) throw unauthorized("The admin API is disabled: no ADMIN_TOKEN is configured.");
  if (!(await hasAdminToken(c))) throw unauthorized("Incorrect admin token provided.");
  await next();
});
