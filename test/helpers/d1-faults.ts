import { env } from "cloudflare:test";

/** The real D1 with its batches (every completion write is one) replaced by `batch`. */
function withBatch(batch: (real: D1Database, statements: D1PreparedStatement[]) => Promise<D1Result[]>): D1Database {
  const real = env.DB;
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "batch") return (statements: D1PreparedStatement[]) => batch(target, statements);
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The real D1, running `first` before its first batch: another request's write landing between a read and a write. */
export function interposedD1(first: () => Promise<unknown>): D1Database {
  let ran = false;
  return withBatch(async (real, statements) => {
    if (!ran) {
      ran = true;
      await first();
    }
    return real.batch(statements);
  });
}

/** A D1 whose every write takes `ms` longer, as a far-away primary would. */
export function slowWritesD1(ms: number): D1Database {
  return withBatch(async (real, statements) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return real.batch(statements);
  });
}

/** A D1 whose first `failures` write batches fail, then all succeed. `attempts` counts them all. */
export function flakyWritesD1(failures: number): { db: D1Database; attempts: () => number } {
  let attempts = 0;
  const db = withBatch(async (real, statements) => {
    if (++attempts <= failures) throw new Error(`D1_ERROR: simulated failure ${attempts}`);
    return real.batch(statements);
  });
  return { db, attempts: () => attempts };
}

/** A D1 on which no write ever succeeds. */
export const brokenWritesD1 = () => flakyWritesD1(Number.POSITIVE_INFINITY).db;

/** A D1 whose write batches wait until `release()` (a no-op once released). */
export function heldWritesD1(): { db: D1Database; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const db = withBatch(async (real, statements) => {
    await released;
    return real.batch(statements);
  });
  return { db, release };
}

/** The real D1, calling `onAnswered` with each statement's SQL once D1 has answered it. */
export function watchedD1(onAnswered: (sql: string) => void): D1Database {
  const watch = (statement: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => watch(value.apply(target, args), sql);
        if (prop === "first" || prop === "all" || prop === "raw" || prop === "run") {
          return async (...args: unknown[]) => {
            const result = await value.apply(target, args);
            onAnswered(sql);
            return result;
          };
        }
        return value.bind(target);
      },
    });
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => watch(target.prepare(sql), sql);
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
