import { createRouter } from "../../app";
import { updateKey, updateTeam } from "./limits.handlers";
import { updateKeyRoute, updateTeamRoute } from "./limits.routes";
import { createKey, createTeam, getTeam, listKeys, listTeams, revokeKey } from "./admin.handlers";
import { createKeyRoute, createTeamRoute, getTeamRoute, listKeysRoute, listTeamsRoute, revokeKeyRoute } from "./admin.routes";

export const adminRouter = createRouter()
  .openapi(createTeamRoute, createTeam)
  .openapi(listTeamsRoute, listTeams)
  .openapi(getTeamRoute, getTeam)
  .openapi(createKeyRoute, createKey)
  .openapi(listKeysRoute, listKeys)
  .openapi(revokeKeyRoute, revokeKey)
  // Budgets and rate limits (issue 12).
  .openapi(updateTeamRoute, updateTeam)
  .openapi(updateKeyRoute, updateKey);
