import type { Bindings } from "../../config";
import { createDb } from "../../db/client";
import type { ApiKeyRow, BudgetPeriod, LimitColumns, TeamRow } from "../../db/schema";
import { UsageRepository } from "../../db/usage";
import { periodStart } from "../../limits/limits";
import type { LimitFields } from "../../schemas/limits";

// Budgets and limits as the team and key objects show them, and as the create/PATCH bodies set them.

/** The columns a create or PATCH body sets; fields it leaves out keep `current`. */
export function limitColumns(fields: LimitFields, current?: LimitColumns): LimitColumns {
  return {
    maxBudgetUsd: fields.max_budget_usd !== undefined ? fields.max_budget_usd : (current?.maxBudgetUsd ?? null),
    budgetPeriod: fields.budget_period ?? current?.budgetPeriod ?? "monthly",
    rpmLimit: fields.rpm_limit !== undefined ? fields.rpm_limit : (current?.rpmLimit ?? null),
    tpmLimit: fields.tpm_limit !== undefined ? fields.tpm_limit : (current?.tpmLimit ?? null),
  };
}

export function presentLimits(row: LimitColumns, spendUsd: number) {
  return { max_budget_usd: row.maxBudgetUsd, budget_period: row.budgetPeriod, rpm_limit: row.rpmLimit, tpm_limit: row.tpmLimit, spend_usd: spendUsd };
}

/** USD spent in each row's current budget period, by row id (one query per distinct period). */
export async function currentSpend(env: Bindings, kind: "team" | "key", rows: (TeamRow | ApiKeyRow)[], nowMs = Date.now()): Promise<Map<string, number>> {
  const repo = new UsageRepository(createDb(env.DB));
  const byPeriod = new Map<BudgetPeriod, string[]>();
  for (const row of rows) byPeriod.set(row.budgetPeriod, [...(byPeriod.get(row.budgetPeriod) ?? []), row.id]);
  const spend = new Map<string, number>();
  for (const [period, ids] of byPeriod) {
    const sums = await repo.spendSince(kind === "team" ? { teamIds: ids } : { keyIds: ids }, periodStart(period, nowMs));
    for (const id of ids) spend.set(id, sums.get(id) ?? 0);
  }
  return spend;
}
