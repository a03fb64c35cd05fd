import { isObject, type Item, type ResponseObject } from "./types";

// What a client sees of a stored object: encrypted reasoning only when it asked for it (`include`),
// as at OpenAI; the gateway keeps it either way, to send it back upstream.

const ENCRYPTED = "reasoning.encrypted_content";

export function presentItem(item: Item, include: readonly string[]): Item {
  if (item.type !== "reasoning" || include.includes(ENCRYPTED) || !("encrypted_content" in item)) return item;
  const { encrypted_content: _hidden, ...rest } = item;
  return rest;
}

export function presentResponse(response: ResponseObject, include: readonly string[]): ResponseObject {
  if (!Array.isArray(response.output)) return response;
  return { ...response, output: response.output.map((item: unknown) => (isObject(item) ? presentItem(item, include) : item)) };
}

/** `include` of a request body or query: the strings given, else none. */
export const includeOf = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? [value] : []);
