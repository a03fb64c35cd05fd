import { createRouter } from "../../app";
import { createKey, createTeam, deleteTeam, getTeam, listKeys, listTeams, revokeKey } from "./admin.handlers";
import { createKeyRoute, createTeamRoute, deleteTeamRoute, getTeamRoute, listKeysRoute, listTeamsRoute, revokeKeyRoute } from "./admin.routes";
import { updateKey, updateTeam } from "./limits.handlers";
import { updateKeyRoute, updateTeamRoute } from "./limits.routes";

export const adminRouter = createRouter()
  .openapi(createTeamRoute, createTeam)
  .openapi(listTeamsRoute, listTeams)
  .openapi(getTeamRoute, getTeam)
  .openapi(deleteTeamRoute, deleteTeam)
  .openapi(createKeyRoute, createKey)
  .openapi(listKeysRoute, listKeys)
  .openapi(revokeKeyRoute, revokeKey)
  // Budgets and rate limits.
  .openapi(updateTeamRoute, updateTeam)
  .openapi(updateKeyRoute, updateKey);
