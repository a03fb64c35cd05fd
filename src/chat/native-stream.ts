import { lastEvents, watchPassedStream, type WatchOptions } from "../proxy/watched-stream";
import type { RawUsage, StreamOutcome } from "./stream-proxy";

// Events looked at from the end: `[DONE]`, the usage chunk, and the last content chunk (some upstreams put usage there).
const LAST_EVENTS = 3;

/**
 * A chat stream passed to the client as the upstream sent it (see watchPassedStream); its usage and
 * end are read from the copy's last events. Only a copy that reached `data: [DONE]` is complete.
 */
export function watchNativeChatStream(upstream: ReadableStream<Uint8Array>, options: WatchOptions) {
  const { stream, ended } = watchPassedStream(upstream, options);
  const outcome = ended.then((end): StreamOutcome => (end.status === "ended" ? endOf(end.parts) : { status: "failed", reason: end.reason, usage: null }));
  return { stream, outcome };
}

/** How a whole stream ended, from its last events: complete at `[DONE]`, with the usage it reported. */
export function endOf(parts: Uint8Array[]): StreamOutcome {
  let sawDone = false;
  let upstreamError = false;
  let usage: RawUsage | null = null;
  for (const event of lastEvents(parts, LAST_EVENTS)) {
    if (event.data === "[DONE]") {
      sawDone = true;
      continue;
    }
    if (event.event === "error") upstreamError = true;
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      continue;
    }
    if (!chunk || typeof chunk !== "object") continue;
    const fields = chunk as Record<string, unknown>;
    if (fields.error) upstreamError = true;
    if (usage === null && fields.usage && typeof fields.usage === "object") usage = fields.usage as RawUsage;
  }
  if (upstreamError) return { status: "failed", reason: "upstream_error_event", usage };
  if (!sawDone) return { status: "failed", reason: "no_done", usage };
  return { status: "complete", completion: null, upstreamId: null, usage };
}
