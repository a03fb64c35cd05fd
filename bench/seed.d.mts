// Types for bench/seed.mjs, so that a TypeScript test (e.g. under vitest-pool-workers, with env.DB) can import it.
export function splitMigration(sql: string): string[];
export function seededCompletionId(n: number, prefix?: string): string;
export function seededTier(n: number): "gold" | "silver" | "bronze" | null;
export function seedCompletions(
  d1: D1Database,
  options: {
    teamId: string;
    /** The BODIES bucket. */
    bodies: R2Bucket;
    from?: number;
    to: number;
    baseCreated: number;
    perSecond?: number;
    idPrefix?: string;
    perStatement?: number;
    statementsPerBatch?: number;
    concurrency?: number;
  },
): Promise<void>;
export function countCompletions(d1: D1Database, teamId: string): Promise<number>;
