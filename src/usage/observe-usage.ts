import { findTopLevelKeys } from "../lib/json-bytes";
import { tokenUsageFrom } from "./event";
import type { TokenUsage } from "./types";

const USAGE_KEY = new TextEncoder().encode("usage");

/** The `usage` object of a JSON answer's bytes, parsed alone; null when there is none. */
function usageOf(bytes: Uint8Array): TokenUsage | null {
  const [usage] = findTopLevelKeys(bytes, 0, bytes.length, [USAGE_KEY]) ?? [null];
  if (!usage) return null;
  try {
    return tokenUsageFrom(JSON.parse(new TextDecoder().decode(bytes.subarray(usage.value, usage.end))));
  } catch {
    return null;
  }
}

/**
 * Passes a JSON answer through to the client unchanged and reads its `usage` from a copy once the
 * whole body is in. Both halves of the tee are workerd's own streams, read without JavaScript per
 * piece; a JavaScript stream in between cost as much isolate CPU as the rest of the request. `usage`
 * is null when the body is not JSON with a usage object, or was cut; a client that leaves early does
 * not stop the copy, so an answer the upstream finished is counted.
 */
export function observeJsonUsage(body: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; usage: Promise<TokenUsage | null> } {
  const [stream, copy] = body.tee();
  const usage = new Response(copy)
    .arrayBuffer()
    .then((bytes) => usageOf(new Uint8Array(bytes)))
    .catch(() => null);
  return { stream, usage };
}
