/** One structured JSON line per event, so that Workers Logs can filter on fields. */
export function logEvent(level: "info" | "warn" | "error", event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A gateway key is never logged in full. */
export function redactKey(key: string): string {
  return key.length <= 12 ? "***" : `${key.slice(0, 10)}…${key.slice(-4)}`;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
