import { createRoute } from "@hono/zod-openapi";
import { ApiKeySchema, KeyIdParamSchema, TeamIdParamSchema, TeamSchema } from "../../schemas/admin";
import { UpdateApiKeyRequestSchema, UpdateTeamRequestSchema } from "../../schemas/limits";
import { errorResponse, jsonBody as body, jsonResponse as json } from "../openapi-responses";

// PATCH for teams and keys: budgets, rate limits and names.

const base = { tags: ["Admin"], security: [{ AdminToken: [] }] };
const errors = { 400: errorResponse("Invalid request"), 401: errorResponse("Missing or wrong admin token") };

export const updateTeamRoute = createRoute({
  ...base,
  method: "patch",
  path: "/admin/teams/{team_id}",
  operationId: "updateTeam",
  summary: "Update a team's name, budget or rate limits (fields left out are kept; null removes a limit)",
  request: { params: TeamIdParamSchema, body: body(UpdateTeamRequestSchema) },
  responses: { 200: json(TeamSchema, "The team"), ...errors, 404: errorResponse("No such team") },
});

export const updateKeyRoute = createRoute({
  ...base,
  method: "patch",
  path: "/admin/keys/{key_id}",
  operationId: "updateApiKey",
  summary: "Update a key's name, budget or rate limits (fields left out are kept; null removes a limit)",
  request: { params: KeyIdParamSchema, body: body(UpdateApiKeyRequestSchema) },
  responses: { 200: json(ApiKeySchema, "The key"), ...errors, 404: errorResponse("No such key") },
});
