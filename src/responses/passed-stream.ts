import { lastEvents, watchPassedStream, type WatchOptions } from "../proxy/watched-stream";
import { tokenUsageFrom } from "../usage/event";
import { isObject, type Json } from "./types";

// The final event carries the whole response, usage included; an `error` event may follow it.
const LAST_EVENTS = 2;
const FINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** The usage of a whole Responses stream: its final response's, or null when it never got there. */
export function usageOfResponsesParts(parts: Uint8Array[]) {
  for (const event of lastEvents(parts, LAST_EVENTS)) {
    if (!event.data.includes('"usage"')) continue;
    let parsed: Json;
    try {
      parsed = JSON.parse(event.data);
    } catch {
      continue;
    }
    if (isObject(parsed) && FINAL.has(parsed.type) && isObject(parsed.response)) return tokenUsageFrom(parsed.response.usage);
  }
  return null;
}

/**
 * A `responses` upstream's stream passed to the client as it came (nothing stored, nothing to
 * rename), watched like a native chat stream: usage from the copy, a stall aborts the upstream.
 */
export function watchResponsesStream(upstream: ReadableStream<Uint8Array>, options: WatchOptions) {
  const { stream, ended } = watchPassedStream(upstream, options);
  return { stream, usage: ended.then((end) => (end.status === "ended" ? usageOfResponsesParts(end.parts) : null)) };
}
