// JSON.parse keeps a `"__proto__"` key as an own property, but a zod object schema leaves it out of
// what it returns (assigning it would replace the result's prototype). A body that is forwarded must
// keep it, as any other unknown field, so it is copied back as an own data property, never assigned.

/** `parsed`, with the own `__proto__` property of `raw` (the JSON it was parsed from), if it had one. */
export function withProtoKeyOf<T extends object>(parsed: T, raw: unknown): T {
  if (raw !== null && typeof raw === "object" && Object.hasOwn(raw, "__proto__")) {
    const value: unknown = Object.getOwnPropertyDescriptor(raw, "__proto__")?.value;
    Object.defineProperty(parsed, "__proto__", { value, enumerable: true, writable: true, configurable: true });
  }
  return parsed;
}
