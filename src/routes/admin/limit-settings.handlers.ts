import { clearKeyCache } from "../../auth/key-cache";
import { keyNotFound, teamNotFound } from "../../errors";
import { presentKey, presentTeam, repository, requireTeam } from "./admin.handlers";
import { currentSpend, seedNewBudget } from "../../limits/budget-seed";
import { limitColumns } from "./limit-settings.present";
import type { updateKeyRoute, updateTeamRoute } from "./limit-settings.routes";
import type { AppRouteHandler } from "../../http/types";

/**
 * This isolate forgets its cached keys at once, so the new limits apply here on the next request;
 * other isolates pick them up within KEY_CACHE_TTL_MS (at most a minute).
 */
function limitsChanged(): void {
  clearKeyCache();
}

export const updateTeam: AppRouteHandler<typeof updateTeamRoute> = async (c) => {
  const repo = repository(c);
  const current = await requireTeam(repo, c.req.valid("param").team_id);
  const request = c.req.valid("json");
  const updated = await repo.updateTeam(current.id, { ...(request.name !== undefined && { name: request.name }), ...limitColumns(request, current) });
  if (!updated) throw teamNotFound(current.id);
  limitsChanged();
  const spend = await currentSpend(c.env, "team", [updated]);
  if (updated.maxBudgetNanoUsd !== null) await seedNewBudget(c.env, updated.id, { kind: "team" }, updated.budgetPeriod, spend.get(updated.id) ?? 0);
  return c.json(presentTeam({ ...updated, shard: current.shard }, spend), 200);
};

export const updateKey: AppRouteHandler<typeof updateKeyRoute> = async (c) => {
  const { key_id } = c.req.valid("param");
  const repo = repository(c);
  const current = await repo.getKey(key_id);
  if (!current) throw keyNotFound(key_id);
  const request = c.req.valid("json");
  const updated = await repo.updateKey(key_id, { ...(request.name !== undefined && { name: request.name }), ...limitColumns(request, current) });
  if (!updated) throw keyNotFound(key_id);
  limitsChanged();
  const spend = await currentSpend(c.env, "key", [updated]);
  if (updated.maxBudgetNanoUsd !== null) await seedNewBudget(c.env, updated.teamId, { kind: "key", keyId: updated.id }, updated.budgetPeriod, spend.get(updated.id) ?? 0);
  return c.json(presentKey(updated, spend), 200);
};
