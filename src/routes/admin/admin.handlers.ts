import { forgetKey } from "../../auth/key-cache";
import { displayPrefix, generateApiKey, hashApiKey } from "../../auth/keys";
import { nowSeconds, randomId } from "../../ids";
import { createDb } from "../../db/client";
import type { ApiKeyRow, TeamRow } from "../../db/schema";
import { type PlacedTeam, TeamsRepository } from "../../db/teams";
import { dbOf, pickShard, rememberPlace, shardDatabases } from "../../store/shards";
import { keyNotFound, teamNotFound } from "../../errors";
import { startTeamPurge } from "../../teams/purge";
import { currentSpend } from "../../limits/budget-seed";
import { limitColumns, presentLimits } from "./limit-settings.present";
import type { createKeyRoute, createTeamRoute, deleteKeyRoute, deleteTeamRoute, getTeamRoute, listKeysRoute, listTeamsRoute, revokeKeyRoute } from "./admin.routes";
import type { AppContext, AppRouteHandler } from "../../http/types";

export const repository = (c: AppContext) => new TeamsRepository(createDb(c.env.DB));

export const presentTeam = (team: PlacedTeam, spend: Map<string, number>) => ({
  id: team.id,
  object: "team" as const,
  name: team.name,
  created_at: team.createdAt,
  shard: team.shard ?? 0,
  ...presentLimits(team, spend.get(team.id) ?? 0),
});
export const presentKey = (key: ApiKeyRow, spend: Map<string, number>) => ({
  id: key.id,
  object: "api_key" as const,
  prefix: key.prefix,
  team_id: key.teamId,
  name: key.name,
  created_at: key.createdAt,
  expires_at: key.expiresAt,
  allowed_models: key.allowedModels,
  revoked_at: key.revokedAt,
  ...presentLimits(key, spend.get(key.id) ?? 0),
});

const NO_SPEND = new Map<string, number>();

export async function requireTeam(repo: TeamsRepository, teamId: string): Promise<PlacedTeam> {
  const team = await repo.getTeam(teamId);
  if (!team) throw teamNotFound(teamId);
  return team;
}

export const createTeam: AppRouteHandler<typeof createTeamRoute> = async (c) => {
  const request = c.req.valid("json");
  const team: TeamRow = { id: randomId("team_"), name: request.name, createdAt: nowSeconds(), deletedAt: null, ...limitColumns(request) };
  const shard = await pickShard(c.env);
  // The shard's copy first: a write is only let in for a team live there (a failure here leaves nothing of the team).
  if (shard !== 0) await new TeamsRepository(dbOf(shardDatabases(c.env)[shard])).mirrorTeam(team);
  const storeId = await repository(c).createTeam(team, shard);
  rememberPlace(team.id, storeId, shard);
  return c.json(presentTeam({ ...team, shard }, NO_SPEND), 201);
};

export const listTeams: AppRouteHandler<typeof listTeamsRoute> = async (c) => {
  const teams = await repository(c).listTeams();
  const spend = await currentSpend(c.env, "team", teams);
  return c.json({ object: "list" as const, data: teams.map((team) => presentTeam(team, spend)) }, 200);
};

export const getTeam: AppRouteHandler<typeof getTeamRoute> = async (c) => {
  const team = await requireTeam(repository(c), c.req.valid("param").team_id);
  return c.json(presentTeam(team, await currentSpend(c.env, "team", [team])), 200);
};

export const createKey: AppRouteHandler<typeof createKeyRoute> = async (c) => {
  const repo = repository(c);
  const team = await requireTeam(repo, c.req.valid("param").team_id);
  const request = c.req.valid("json");
  const plaintext = generateApiKey();
  const key = await repo.createKey({
    id: randomId("key_"),
    teamId: team.id,
    name: request.name ?? null,
    keyHash: await hashApiKey(plaintext),
    prefix: displayPrefix(plaintext),
    createdAt: nowSeconds(),
    expiresAt: request.expires_at ?? null,
    allowedModels: request.allowed_models ?? null,
    revokedAt: null,
    deletedAt: null,
    ...limitColumns(request),
  });
  return c.json({ ...presentKey(key, NO_SPEND), key: plaintext }, 201);
};

export const listKeys: AppRouteHandler<typeof listKeysRoute> = async (c) => {
  const repo = repository(c);
  const team = await requireTeam(repo, c.req.valid("param").team_id);
  const keys = await repo.listKeys(team.id);
  const spend = await currentSpend(c.env, "key", keys);
  return c.json({ object: "list" as const, data: keys.map((key) => presentKey(key, spend)) }, 200);
};

export const revokeKey: AppRouteHandler<typeof revokeKeyRoute> = async (c) => {
  const { key_id } = c.req.valid("param");
  const key = await repository(c).revokeKey(key_id, nowSeconds());
  if (!key) throw keyNotFound(key_id);
  // This isolate forgets the key now; others may accept it from their cache for up to KEY_CACHE_TTL_MS.
  forgetKey(key.keyHash);
  return c.json(presentKey(key, await currentSpend(c.env, "key", [key])), 200);
};

export const deleteKey: AppRouteHandler<typeof deleteKeyRoute> = async (c) => {
  const { key_id } = c.req.valid("param");
  const keyHash = await repository(c).deleteKey(key_id, nowSeconds());
  if (!keyHash) throw keyNotFound(key_id);
  // As for a revocation: this isolate at once, others within KEY_CACHE_TTL_MS.
  forgetKey(keyHash);
  return c.json({ id: key_id, object: "api_key.deleted" as const, deleted: true as const }, 200);
};

export const deleteTeam: AppRouteHandler<typeof deleteTeamRoute> = async (c) => {
  const { team_id } = c.req.valid("param");
  const revoked = await repository(c).deleteTeam(team_id, nowSeconds());
  if (!revoked) throw teamNotFound(team_id);
  // This isolate forgets the keys now; others within KEY_CACHE_TTL_MS. The data goes in the background.
  for (const keyHash of revoked) forgetKey(keyHash);
  c.executionCtx.waitUntil(startTeamPurge(c.env, team_id));
  return c.json({ id: team_id, object: "team.deleted" as const, deleted: true as const }, 200);
};
