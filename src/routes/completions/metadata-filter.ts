import { invalidRequest } from "../../errors";
import { METADATA_LIMITS } from "../../schemas/openai";

/**
 * The `metadata[key]=value` pairs of a list query. URLSearchParams decodes the percent-encoded
 * brackets (`metadata%5Bkey%5D`) that the official SDK sends.
 */
export function parseMetadataFilter(search: URLSearchParams): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of search) {
    const match = /^metadata\[(.*)\]$/s.exec(name);
    if (match) pairs.push([match[1], value]);
  }
  if (pairs.length > METADATA_LIMITS.maxPairs) {
    throw invalidRequest(`Invalid 'metadata': at most ${METADATA_LIMITS.maxPairs} metadata filters are allowed.`, "metadata");
  }
  return pairs;
}
