/** A configuration value that cannot be used: named, so that the message says what to fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

/** An integer ≥ `min`; absent or blank gives the default, anything else that is not one is an error. */
export function integerVar(env: Record<string, unknown>, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return fallback;
  const n = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n)) throw new ConfigError(name, `must be a whole number, but is '${String(raw)}'.`);
  if (n < min) throw new ConfigError(name, `must be at least ${min}, but is ${n}.`);
  return n;
}

/** One of `choices`; absent or blank gives the default. */
export function choiceVar<T extends string>(env: Record<string, unknown>, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return fallback;
  const value = String(raw).trim().toLowerCase();
  if (!(choices as readonly string[]).includes(value)) throw new ConfigError(name, `must be one of ${choices.map((c) => `'${c}'`).join(", ")}, but is '${String(raw)}'.`);
  return value as T;
}

/** A JSON value; absent or blank gives undefined. */
export function jsonVar(env: Record<string, unknown>, name: string): unknown {
  const raw = env[name];
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return undefined;
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(name, `is not valid JSON: ${(err as Error).message}`);
  }
}

/** A secret of at least `minLength` characters; absent or shorter is an error, since nothing can stand in for it. */
export function secretVar(env: Record<string, unknown>, name: string, minLength: number, howToSet: string): string {
  const raw = env[name];
  const value = typeof raw === "string" ? raw.trim() : "";
  if (value === "") throw new ConfigError(name, `is not set. ${howToSet}`);
  if (value.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters long, but has ${value.length}. ${howToSet}`);
  return value;
}
