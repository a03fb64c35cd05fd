import type { BudgetPeriod, LimitColumns } from "../db/schema";

/** The limits set on a team or a key; null fields are not limited. */
export interface Limits {
  rpm: number | null;
  tpm: number | null;
  /** Nano-dollars. */
  maxBudgetNanoUsd: number | null;
  budgetPeriod: BudgetPeriod;
}

/** A key's own limits and its team's, as the key cache carries them. */
export interface KeyLimits {
  key: Limits | null;
  team: Limits | null;
}

/** The limits of a team or key row, or null when it sets none (then no Durable Object call is made for it). */
export function limitsOf(row: LimitColumns): Limits | null {
  if (row.rpmLimit === null && row.tpmLimit === null && row.maxBudgetNanoUsd === null) return null;
  return { rpm: row.rpmLimit, tpm: row.tpmLimit, maxBudgetNanoUsd: row.maxBudgetNanoUsd, budgetPeriod: row.budgetPeriod };
}

/** Where the current budget period began (Unix seconds): periods reset at UTC day and month boundaries. */
export function periodStart(period: BudgetPeriod, nowMs: number): number {
  if (period === "total") return 0;
  const now = new Date(nowMs);
  const start = period === "daily" ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) : Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return start / 1000;
}

/** OpenAI's duration format for x-ratelimit-reset-*: `1s`, `250ms`, `6m0s`, `1h2m3s`. */
export function formatResetDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
