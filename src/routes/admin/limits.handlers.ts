import type { AppContext, AppRouteHandler } from "../../app";
import { clearKeyCache } from "../../auth/key-cache";
import type { BudgetPeriod } from "../../db/schema";
import { notFound } from "../../errors";
import { describeError, logEvent } from "../../log";
import { presentKey, presentTeam, repository, requireTeam } from "./admin.handlers";
import { currentSpend, limitColumns } from "./limits.present";
import type { updateKeyRoute, updateTeamRoute } from "./limits.routes";

/**
 * This isolate forgets its cached keys at once, so the new limits apply here on the next request;
 * other isolates pick them up within KEY_CACHE_TTL_MS (at most a minute).
 */
function limitsChanged(): void {
  clearKeyCache();
}

/**
 * A budget set now still counts what was spent earlier in the period: the team's Durable Object is
 * told the spend D1 has counted so far.
 */
async function seedBudget(c: AppContext, teamId: string, scope: { kind: "team" } | { kind: "key"; keyId: string }, period: BudgetPeriod, spendUsd: number) {
  try {
    await c.env.TEAM_LIMITER.get(c.env.TEAM_LIMITER.idFromName(teamId)).seedSpend(scope, period, spendUsd);
  } catch (err) {
    logEvent("error", "budget_seed_failed", { team_id: teamId, error: describeError(err) });
  }
}

export const updateTeam: AppRouteHandler<typeof updateTeamRoute> = async (c) => {
  const repo = repository(c);
  const current = await requireTeam(repo, c.req.valid("param").team_id);
  const request = c.req.valid("json");
  const updated = await repo.updateTeam(current.id, { ...(request.name !== undefined && { name: request.name }), ...limitColumns(request, current) });
  if (!updated) throw notFound(`No team found with id '${current.id}'.`);
  limitsChanged();
  const spend = await currentSpend(c.env, "team", [updated]);
  if (updated.maxBudgetUsd !== null) await seedBudget(c, updated.id, { kind: "team" }, updated.budgetPeriod, spend.get(updated.id) ?? 0);
  return c.json(presentTeam(updated, spend), 200);
};

export const updateKey: AppRouteHandler<typeof updateKeyRoute> = async (c) => {
  const { key_id } = c.req.valid("param");
  const repo = repository(c);
  const current = await repo.getKey(key_id);
  if (!current) throw notFound(`No API key found with id '${key_id}'.`);
  const request = c.req.valid("json");
  const updated = await repo.updateKey(key_id, { ...(request.name !== undefined && { name: request.name }), ...limitColumns(request, current) });
  if (!updated) throw notFound(`No API key found with id '${key_id}'.`);
  limitsChanged();
  const spend = await currentSpend(c.env, "key", [updated]);
  if (updated.maxBudgetUsd !== null) await seedBudget(c, updated.teamId, { kind: "key", keyId: updated.id }, updated.budgetPeriod, spend.get(updated.id) ?? 0);
  return c.json(presentKey(updated, spend), 200);
};
