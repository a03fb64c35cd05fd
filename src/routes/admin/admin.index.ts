import { createRouter } from "../../app";
import { createKey, createTeam, getTeam, listKeys, listTeams, revokeKey } from "./admin.handlers";
import { createKeyRoute, createTeamRoute, getTeamRoute, listKeysRoute, listTeamsRoute, revokeKeyRoute } from "./admin.routes";

export const adminRouter = createRouter()
  .openapi(createTeamRoute, createTeam)
  .openapi(listTeamsRoute, listTeams)
  .openapi(getTeamRoute, getTeam)
  .openapi(createKeyRoute, createKey)
  .openapi(listKeysRoute, listKeys)
  .openapi(revokeKeyRoute, revokeKey);
