import { metadataFilterNotUtf8, invalidRequest } from "../../errors";
import { METADATA_LIMITS } from "../../schemas/openai";

// URLSearchParams decodes bytes that are not UTF-8 to U+FFFD, so a lone surrogate (which a URL can
// only carry as such bytes, e.g. %ED%A0%80) would become a different string and match another value,
// or none. The metadata pairs are decoded here with decodeURIComponent instead, which refuses them.

const METADATA_NAME = /^metadata\[(.*)\]$/s;

/** A query component decoded as URLSearchParams does ('+' is a space, a stray '%' is kept), or null when its bytes are not UTF-8. */
function decodeStrictly(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " ").replace(/%(?![0-9A-Fa-f]{2})/g, "%25"));
  } catch {
    return null;
  }
}

/**
 * The `metadata[key]=value` pairs of a list query (its raw `?…` string). The official SDK sends
 * `metadata%5Bkey%5D`, with the brackets percent-encoded. A key or value whose bytes are not UTF-8
 * is a 400: no stored metadata can be equal to it.
 */
export function parseMetadataFilter(query: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of query.replace(/^\?/, "").split("&")) {
    const equals = part.indexOf("=");
    const rawName = equals === -1 ? part : part.slice(0, equals);
    const name = decodeStrictly(rawName);
    const lenientName = name ?? [...new URLSearchParams(`${rawName}=`).keys()][0] ?? "";
    const match = METADATA_NAME.exec(lenientName);
    if (!match) continue;
    const value = decodeStrictly(equals === -1 ? "" : part.slice(equals + 1));
    if (name === null || value === null) throw metadataFilterNotUtf8();
    pairs.push([match[1], value]);
  }
  if (pairs.length > METADATA_LIMITS.maxPairs) {
    throw invalidRequest(`Invalid 'metadata': at most ${METADATA_LIMITS.maxPairs} metadata filters are allowed.`, "metadata");
  }
  return pairs;
}
