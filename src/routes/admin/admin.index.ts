import { createRouter } from "../../http/router";
import { createKey, createTeam, deleteKey, deleteTeam, getTeam, listKeys, listTeams, revokeKey } from "./admin.handlers";
import { createKeyRoute, createTeamRoute, deleteKeyRoute, deleteTeamRoute, getTeamRoute, listKeysRoute, listTeamsRoute, revokeKeyRoute } from "./admin.routes";
import { updateKey, updateTeam } from "./limit-settings.handlers";
import { updateKeyRoute, updateTeamRoute } from "./limit-settings.routes";

export const adminRouter = createRouter()
  .openapi(createTeamRoute, createTeam)
  .openapi(listTeamsRoute, listTeams)
  .openapi(getTeamRoute, getTeam)
  .openapi(deleteTeamRoute, deleteTeam)
  .openapi(createKeyRoute, createKey)
  .openapi(listKeysRoute, listKeys)
  .openapi(revokeKeyRoute, revokeKey)
  .openapi(deleteKeyRoute, deleteKey)
  // Budgets and rate limits.
  .openapi(updateTeamRoute, updateTeam)
  .openapi(updateKeyRoute, updateKey);
