import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { SESSION_SECONDS } from "./sessions";

// The session cookie: HttpOnly (no script reads it), SameSite=Strict, and over https Secure with the
// __Host- prefix (no Domain, Path=/: no sibling host can set or shadow it). Plain http is for local runs.

const NAME = "console_session";

const overHttps = (c: Context) => new URL(c.req.url).protocol === "https:";

export function readSessionCookie(c: Context): string | undefined {
  return overHttps(c) ? getCookie(c, NAME, "host") : getCookie(c, NAME);
}

export function writeSessionCookie(c: Context, sessionId: string): void {
  const options = { httpOnly: true, sameSite: "Strict", path: "/", maxAge: SESSION_SECONDS } as const;
  if (overHttps(c)) setCookie(c, NAME, sessionId, { ...options, prefix: "host", secure: true });
  else setCookie(c, NAME, sessionId, options);
}

export function clearSessionCookie(c: Context): void {
  if (overHttps(c)) deleteCookie(c, NAME, { prefix: "host", secure: true, path: "/", httpOnly: true, sameSite: "Strict" });
  else deleteCookie(c, NAME, { path: "/", httpOnly: true, sameSite: "Strict" });
}
