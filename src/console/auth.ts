import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import { TeamsRepository } from "../db/teams";
import { consoleAdminOnly, consoleKeysReadOnly, consoleSignInRequired, crossSiteRequest, keyNotFound, teamNotFound } from "../errors";
import { nowSeconds } from "../ids";
import { readSessionCookie } from "./cookie";
import type { ConsoleEnv } from "./env";
import { currentAdminTokenHash, findSession } from "./sessions";
import { teamKeysManageable } from "./settings";

// The console's guards. Scoping is decided here, on the server, from the session alone: what a URL
// names is checked against it, never trusted.

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Every state-changing console request must come from the console's own page. Not Hono's csrf():
 * it checks only form-encoded and text bodies, and the console sends JSON.
 */
export const sameOriginWrites = createMiddleware<ConsoleEnv>(async (c, next) => {
  if (!SAFE_METHODS.has(c.req.method) && c.req.header("sec-fetch-site") !== "same-origin") throw crossSiteRequest();
  await next();
});

export const requireConsoleSession = createMiddleware<ConsoleEnv>(async (c, next) => {
  const sessionId = readSessionCookie(c);
  const session = sessionId ? await findSession(c.env.DB, sessionId, nowSeconds(), await currentAdminTokenHash(c.env)) : null;
  if (!session) throw consoleSignInRequired();
  c.set("consoleSession", session);
  await next();
});

const teams = (c: { env: ConsoleEnv["Bindings"] }) => new TeamsRepository(createDb(c.env.DB));

/**
 * `/console/api/teams/:team/*`: a team session reaches its own team only (another's answers the
 * same 404 as a team that does not exist); the admin any live team. The stored-completion handlers
 * mounted below read the team from `apiKey`, as they do for a team key.
 */
export const scopeToTeam = createMiddleware<ConsoleEnv>(async (c, next) => {
  const session = c.get("consoleSession");
  const teamId = c.req.param("team") ?? "";
  if (session.kind === "team" ? teamId !== session.teamId : !(await teams(c).getTeam(teamId))) throw teamNotFound(teamId);
  c.set("apiKey", { keyId: session.kind === "team" ? session.keyId : "", teamId, allowedModels: null, limits: { key: null, team: null } });
  await next();
});

/** The usage and costs APIs, mounted under /console/api: the session decides what they show. */
export const sessionUsageViewer = createMiddleware<ConsoleEnv>(async (c, next) => {
  const session = c.get("consoleSession");
  c.set("usageViewer", session.kind === "admin" ? { kind: "admin" } : { kind: "team", teamId: session.teamId });
  await next();
});

/**
 * The admin API, mounted under /console/api/admin. The admin's session may call all of it. A team's
 * session may read its own team and keys, and, with CONSOLE_TEAM_KEYS=manage, create its own keys and
 * change, revoke or delete them; nothing else.
 */
export const adminApiGate = createMiddleware<ConsoleEnv>(async (c, next) => {
  const session = c.get("consoleSession");
  if (session.kind === "admin") return next();
  const path = c.req.path.slice("/console/api/admin".length);
  const method = c.req.method;
  const ownTeam = `/teams/${session.teamId}`;
  if (method === "GET" && (path === ownTeam || path === `${ownTeam}/keys`)) return next();
  const keyPath = /^\/keys\/([^/]+)(\/revoke)?$/.exec(path);
  const keyMethod = keyPath?.[2] ? method === "POST" : method === "PATCH" || method === "DELETE";
  const managesKey = (method === "POST" && path === `${ownTeam}/keys`) || (keyPath !== null && keyMethod);
  if (!managesKey) throw consoleAdminOnly();
  if (!teamKeysManageable(c.env)) throw consoleKeysReadOnly();
  if (keyPath) {
    // Revoked keys too: the team may still delete them. The route itself answers for a revoked key it cannot change.
    const key = await teams(c).findKey(decodeURIComponent(keyPath[1]));
    // Another team's key answers as one that does not exist.
    if (!key || key.teamId !== session.teamId) throw keyNotFound(decodeURIComponent(keyPath[1]));
  }
  await next();
});
