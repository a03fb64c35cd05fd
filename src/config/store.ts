import { integerVar } from "./values";

export interface StoreConfig {
  /** Days a stored completion is kept; 0 keeps completions forever. OpenAI keeps them 30 days. */
  retentionDays: number;
}

export function parseStoreConfig(env: Record<string, unknown>): StoreConfig {
  return { retentionDays: integerVar(env, "STORE_RETENTION_DAYS", 30, 0) };
}
