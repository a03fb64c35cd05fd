import { createRoute } from "@hono/zod-openapi";
import {
  ApiKeySchema,
  CreateApiKeyRequestSchema,
  CreatedApiKeySchema,
  CreateTeamRequestSchema,
  DeletedApiKeySchema,
  DeletedTeamSchema,
  KeyIdParamSchema,
  listOf,
  TeamIdParamSchema,
  TeamSchema,
} from "../../schemas/admin";
import { errorResponse, jsonBody as body, jsonResponse as json } from "../openapi-responses";

const base = { tags: ["Admin"], security: [{ AdminToken: [] }] };
const errors = { 400: errorResponse("Invalid request"), 401: errorResponse("Missing or wrong admin token") };

export const createTeamRoute = createRoute({
  ...base,
  method: "post",
  path: "/admin/teams",
  operationId: "createTeam",
  summary: "Create a team",
  request: { body: body(CreateTeamRequestSchema) },
  responses: { 201: json(TeamSchema, "The team"), ...errors },
});

export const listTeamsRoute = createRoute({
  ...base,
  method: "get",
  path: "/admin/teams",
  operationId: "listTeams",
  summary: "List teams",
  responses: { 200: json(listOf(TeamSchema, "TeamList"), "All teams"), ...errors },
});

export const getTeamRoute = createRoute({
  ...base,
  method: "get",
  path: "/admin/teams/{team_id}",
  operationId: "getTeam",
  summary: "Get a team",
  request: { params: TeamIdParamSchema },
  responses: { 200: json(TeamSchema, "The team"), ...errors, 404: errorResponse("No such team") },
});

export const deleteTeamRoute = createRoute({
  ...base,
  method: "delete",
  path: "/admin/teams/{team_id}",
  operationId: "deleteTeam",
  summary: "Delete a team: its keys stop working at once, and all its data is deleted in the background",
  description:
    "Every key of the team answers 401 from now on (in other isolates, within KEY_CACHE_TTL_MS). The team's stored completions and every other row of it are then deleted in bounded batches, by the background queue with the cron as a backstop.",
  request: { params: TeamIdParamSchema },
  responses: { 200: json(DeletedTeamSchema, "The team is deleted"), ...errors, 404: errorResponse("No such team") },
});

export const createKeyRoute = createRoute({
  ...base,
  method: "post",
  path: "/admin/teams/{team_id}/keys",
  operationId: "createApiKey",
  summary: "Create an API key for a team (the plaintext key is returned only here)",
  request: { params: TeamIdParamSchema, body: body(CreateApiKeyRequestSchema) },
  responses: { 201: json(CreatedApiKeySchema, "The key, with its plaintext"), ...errors, 404: errorResponse("No such team") },
});

export const listKeysRoute = createRoute({
  ...base,
  method: "get",
  path: "/admin/teams/{team_id}/keys",
  operationId: "listApiKeys",
  summary: "List a team's live API keys (never their plaintext or hashes)",
  request: { params: TeamIdParamSchema },
  responses: { 200: json(listOf(ApiKeySchema, "ApiKeyList"), "The team's keys"), ...errors, 404: errorResponse("No such team") },
});

export const revokeKeyRoute = createRoute({
  ...base,
  method: "post",
  path: "/admin/keys/{key_id}/revoke",
  operationId: "revokeApiKey",
  summary: "Revoke an API key: it stops working and stays listed, with revoked_at",
  description:
    "The key answers 401 from now on (in other isolates, within KEY_CACHE_TTL_MS). It stays in the team's key list with `revoked_at` set, until it is deleted. Revoking a revoked key changes nothing and answers it again.",
  request: { params: KeyIdParamSchema },
  responses: { 200: json(ApiKeySchema, "The revoked key"), ...errors, 404: errorResponse("No such key") },
});

export const deleteKeyRoute = createRoute({
  ...base,
  method: "delete",
  path: "/admin/keys/{key_id}",
  operationId: "deleteApiKey",
  summary: "Delete an API key: it stops working and leaves the key list",
  description:
    "Live or revoked. The key answers 401 from now on (in other isolates, within KEY_CACHE_TTL_MS) and is no longer listed. Its usage stays counted under its id.",
  request: { params: KeyIdParamSchema },
  responses: { 200: json(DeletedApiKeySchema, "The key is deleted"), ...errors, 404: errorResponse("No such key") },
});
