import { ConfigError, choiceVar } from "../config/values";
import { gatewayMisconfigured } from "../errors";

/**
 * CONSOLE_TEAM_KEYS: what a team's console session may do with its own team's keys. "read-only"
 * (the default) lists them; "manage" also creates, renames, revokes and sets their limits. Only the
 * admin ever touches another team's keys, or teams.
 */
export function teamKeysManageable(env: Env): boolean {
  try {
    return choiceVar({ CONSOLE_TEAM_KEYS: env.CONSOLE_TEAM_KEYS }, "CONSOLE_TEAM_KEYS", ["read-only", "manage"], "read-only") === "manage";
  } catch (err) {
    if (err instanceof ConfigError) throw gatewayMisconfigured(err.message);
    throw err;
  }
}
