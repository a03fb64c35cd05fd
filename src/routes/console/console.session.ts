import type { Context } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { z } from "@hono/zod-openapi";
import { zodErrorToApiError } from "../../http/router";
import { hashOfToken } from "../../auth/key-cache";
import { isWellFormedKey } from "../../auth/keys";
import { lookUpKey } from "../../auth/team-auth";
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from "../../console/cookie";
import type { ConsoleEnv } from "../../console/env";
import { createSession, currentAdminTokenHash, findSession, revokeSession } from "../../console/sessions";
import { teamKeysManageable } from "../../console/settings";
import { createDb } from "../../db/client";
import { TeamsRepository } from "../../db/teams";
import { consoleWrongToken, invalidRequest } from "../../errors";
import { nowSeconds } from "../../ids";

// POST /console/session signs in with the admin token or a team key; GET says who is signed in;
// DELETE signs out. The token is checked once, here, and never kept: the cookie holds a session id.

type ConsoleContext = Context<ConsoleEnv>;

const SignInSchema = z.object({ token: z.string().trim().min(1).max(512) });

async function readSignIn(c: ConsoleContext) {
  const body = await c.req.json().catch(() => {
    throw invalidRequest("The sign-in body must be JSON: {\"token\": \"...\"}.", "token");
  });
  const parsed = SignInSchema.safeParse(body);
  if (!parsed.success) throw zodErrorToApiError(parsed.error);
  return parsed.data.token;
}

/** Who the session is, as the console shows it. */
async function describe(c: ConsoleContext, session: { kind: "admin" } | { kind: "team"; teamId: string; keyId: string }) {
  if (session.kind === "admin") return { object: "console.session" as const, kind: "admin" as const, team: null, key_id: null, can_manage_keys: true };
  const team = await new TeamsRepository(createDb(c.env.DB)).getTeam(session.teamId);
  return {
    object: "console.session" as const,
    kind: "team" as const,
    team: { id: session.teamId, name: team?.name ?? session.teamId },
    key_id: session.keyId,
    can_manage_keys: teamKeysManageable(c.env),
  };
}

export async function signIn(c: ConsoleContext) {
  const token = await readSignIn(c);
  const admin = c.env.ADMIN_TOKEN;
  let who: { kind: "admin" } | { kind: "team"; teamId: string; keyId: string };
  if (admin && (await timingSafeEqual(token, admin))) {
    who = { kind: "admin" };
  } else {
    const key = isWellFormedKey(token) ? await lookUpKey(c.env.DB, await hashOfToken(token), c.get("config").keyCacheTtlMs) : null;
    if (!key) throw consoleWrongToken();
    who = { kind: "team", teamId: key.teamId, keyId: key.keyId };
  }
  const adminTokenHash = who.kind === "admin" ? ((await currentAdminTokenHash(c.env)) ?? undefined) : undefined;
  const sessionId = await createSession(c.env.DB, { ...who, adminTokenHash }, nowSeconds());
  writeSessionCookie(c, sessionId);
  return c.json(await describe(c, who), 201);
}

/** Needs requireConsoleSession. */
export async function whoAmI(c: ConsoleContext) {
  return c.json(await describe(c, c.get("consoleSession")), 200);
}

/** Ends the cookie's session, if it has a live one; always clears the cookie. */
export async function signOut(c: ConsoleContext) {
  const sessionId = readSessionCookie(c);
  const session = sessionId ? await findSession(c.env.DB, sessionId, nowSeconds(), await currentAdminTokenHash(c.env)) : null;
  if (session) await revokeSession(c.env.DB, session.id, nowSeconds());
  clearSessionCookie(c);
  return c.json({ object: "console.session.deleted" as const, deleted: session !== null }, 200);
}
