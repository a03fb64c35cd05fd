import { env } from "cloudflare:test";

export interface RecordedStatement {
  sql: string;
  params: number;
  /** Largest UTF-8 size of one bound text value. */
  largestValueBytes: number;
}

/** Wraps the test D1 so that every statement's SQL and bound parameter count is recorded. */
export function recordingD1(): { db: D1Database; statements: RecordedStatement[] } {
  const statements: RecordedStatement[] = [];
  const encoder = new TextEncoder();
  const real = env.DB;
  const record = (sql: string, values: unknown[]) =>
    statements.push({
      sql,
      params: values.length,
      largestValueBytes: Math.max(0, ...values.map((v) => (typeof v === "string" ? encoder.encode(v).length : 0))),
    });
  const db = {
    prepare(sql: string) {
      const statement = real.prepare(sql);
      const bind = (...values: unknown[]) => {
        record(sql, values);
        return statement.bind(...values);
      };
      return new Proxy(statement, {
        get(target, prop) {
          if (prop === "bind") return bind;
          if (prop === "all" || prop === "run" || prop === "first" || prop === "raw") record(sql, []);
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
    batch: (list: D1PreparedStatement[]) => real.batch(list),
    exec: (sql: string) => real.exec(sql),
    dump: () => real.dump(),
    withSession: (...args: Parameters<D1Database["withSession"]>) => real.withSession(...args),
  } as unknown as D1Database;
  return { db, statements };
}
