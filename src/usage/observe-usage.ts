import { findTopLevelKeys } from "../lib/json-bytes";
import { tokenUsageFrom } from "./event";
import type { TokenUsage } from "./types";

const USAGE_KEY = new TextEncoder().encode("usage");
// A verbose_json transcription or translation gives its length here, with or without `usage`.
const DURATION_KEY = new TextEncoder().encode("duration");

/** The `usage` object (or audio `duration`) of a JSON answer's bytes, parsed alone; null when there is none. */
function usageOf(bytes: Uint8Array): TokenUsage | null {
  const [usage, duration] = findTopLevelKeys(bytes, 0, bytes.length, [USAGE_KEY, DURATION_KEY]) ?? [null, null];
  const decoder = new TextDecoder();
  try {
    const reported = usage ? tokenUsageFrom(JSON.parse(decoder.decode(bytes.subarray(usage.value, usage.end)))) : null;
    if (reported || !duration) return reported;
    const seconds: unknown = JSON.parse(decoder.decode(bytes.subarray(duration.value, duration.end)));
    return typeof seconds === "number" && seconds >= 0 ? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, seconds: Math.ceil(seconds) } : null;
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
