import { createMiddleware } from "hono/factory";
import { timingSafeEqual } from "hono/utils/buffer";
import { invalidApiKey } from "../errors";
import { bearerToken } from "./bearer";
import type { AppEnv } from "../http/types";

// Hono's bearerAuth takes its token when the middleware is built, but ADMIN_TOKEN is only known per
// request (from env), and a missing token must close the API rather than throw. So this uses
// Hono's constant-time comparison directly.

const unauthorized = (message: string) => invalidApiKey(message, "admin");

export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) throw unauthorized("The admin API is disabled: no ADMIN_TOKEN is configured.");
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !(await timingSafeEqual(token, expected))) throw unauthorized("Incorrect admin token provided.");
  await next();
});
