import type { LimitColumns } from "../../db/schema";
import { nanosToUsd, usdToNanos } from "../../lib/money";
import type { LimitFields } from "../../schemas/limits";

// Budgets and limits as the team and key objects show them, and as the create/PATCH bodies set them.

/** The columns a create or PATCH body sets; fields it leaves out keep `current`. */
export function limitColumns(fields: LimitFields, current?: LimitColumns): LimitColumns {
  return {
    maxBudgetNanoUsd: fields.max_budget_usd !== undefined ? (fields.max_budget_usd === null ? null : usdToNanos(fields.max_budget_usd)) : (current?.maxBudgetNanoUsd ?? null),
    budgetPeriod: fields.budget_period ?? current?.budgetPeriod ?? "monthly",
    rpmLimit: fields.rpm_limit !== undefined ? fields.rpm_limit : (current?.rpmLimit ?? null),
    tpmLimit: fields.tpm_limit !== undefined ? fields.tpm_limit : (current?.tpmLimit ?? null),
  };
}

/** Dollars, as the API shows them, from the nano-dollars stored. */
export function presentLimits(row: LimitColumns, spendNanoUsd: number) {
  return {
    max_budget_usd: row.maxBudgetNanoUsd === null ? null : nanosToUsd(row.maxBudgetNanoUsd),
    budget_period: row.budgetPeriod,
    rpm_limit: row.rpmLimit,
    tpm_limit: row.tpmLimit,
    spend_usd: nanosToUsd(spendNanoUsd),
  };
}
