import { IdleWatchdog, UpstreamTimeoutError } from "../proxy/idle-timeout";
import type { RawUsage, StreamOutcome } from "./stream-proxy";
import { parseEvent } from "../lib/sse";

export interface NativeStreamOptions {
  idleTimeoutMs: number;
  /** Aborts the upstream fetch: its body errors, and so does the client's copy of it. */
  abort: (reason: Error) => void;
}

// The usage chunk and the end are in the last events; a tail this long holds them whole.
const TAIL_BYTES = 16_384;
// Events looked at from the end: `[DONE]`, the usage chunk, and the last content chunk (some upstreams put usage there).
const LAST_EVENTS = 3;
// After a small read the copy waits a little, so that the next read takes all that arrived meanwhile:
// at most this long, and at most a twentieth of the stream's age, so it never lags far behind.
const MAX_PAUSE_MS = 250;
const SMALL_READ = 1024;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Hands an upstream SSE body to the client as it is, moved by the runtime, and watches a `tee()`
 * copy in JavaScript. The copy is not read whole by the runtime: that reads the source in large
 * pieces, and the client would get its first byte only at the end. Read as it comes, it costs a read
 * per network piece; so after a small read the watcher pauses, and the next read takes what arrived
 * meanwhile. Its last events are looked at once it ends. On `idleTimeoutMs` of silence the upstream
 * fetch is aborted, so the client's answer ends as a network error (no terminating chunk), never as a
 * clean end; an upstream that breaks off does the same to it by itself. Only a copy that reached
 * `data: [DONE]` is complete.
 */
export function watchNativeChatStream(upstream: ReadableStream<Uint8Array>, options: NativeStreamOptions) {
  const [stream, copy] = upstream.tee();
  return { stream, outcome: watchCopy(copy, options) };
}

async function watchCopy(copy: ReadableStream<Uint8Array>, options: NativeStreamOptions): Promise<StreamOutcome> {
  const reader = copy.getReader();
  // Not an AbortError: to a client it is the upstream's failure, not its own cancel.
  const watchdog = new IdleWatchdog(options.idleTimeoutMs, () => options.abort(new UpstreamTimeoutError("idle")));
  const maxPause = Math.min(MAX_PAUSE_MS, Math.floor(options.idleTimeoutMs / 4));
  const started = Date.now();
  const parts: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      watchdog.piece();
      parts.push(value);
      const pause = Math.min(maxPause, Math.floor((Date.now() - started) / 20));
      if (value.length < SMALL_READ && pause > 0) await sleep(pause);
    }
  } catch (err) {
    watchdog.stop();
    if (!watchdog.timedOut) options.abort(err instanceof Error ? err : new Error("upstream stream failed"));
    return { status: "failed", reason: watchdog.timedOut ? "idle_timeout" : "upstream_broken", usage: null };
  }
  watchdog.stop();
  return endOf(parts);
}

/** How a whole stream ended, from its last events: complete at `[DONE]`, with the usage it reported. */
export function endOf(parts: Uint8Array[]): StreamOutcome {
  // The last parts, enough to hold TAIL_BYTES.
  let size = 0;
  let first = parts.length;
  while (first > 0 && size < TAIL_BYTES) size += parts[--first].length;
  const decoder = new TextDecoder();
  let text = "";
  for (let i = first; i < parts.length; i++) text += decoder.decode(parts[i], { stream: true });
  text += decoder.decode();
  if (first > 0) {
    // Starts at an event boundary, so no event is read from its middle.
    const boundary = /\r\n\r\n|\n\n|\r\r/.exec(text);
    text = boundary ? text.slice(boundary.index + boundary[0].length) : "";
  }
  const events = text.split(/\r\n\r\n|\n\n|\r\r/);
  let sawDone = false;
  let upstreamError = false;
  let usage: RawUsage | null = null;
  let looked = 0;
  for (let i = events.length - 1; i >= 0 && looked < LAST_EVENTS; i--) {
    const event = parseEvent(events[i]);
    if (!event) continue;
    looked++;
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
