import { parseEvent, type SseEvent } from "../lib/sse";
import { IdleWatchdog, UpstreamTimeoutError } from "./idle-timeout";

export interface WatchOptions {
  idleTimeoutMs: number;
  /** Aborts the upstream fetch: its body errors, and so does the client's copy of it. */
  abort: (reason: Error) => void;
}

/** How the copy ended: whole (its pieces, to read the end from), or broken off. */
export type WatchedEnd = { status: "ended"; parts: Uint8Array[] } | { status: "failed"; reason: "idle_timeout" | "upstream_broken" };

// After a small read the copy waits a little, so that the next read takes all that arrived meanwhile
// (a runtime tee gives a lagging branch all it holds in one read): MIN_PAUSE_MS, which gathers a
// burst, growing to a twentieth of the stream's age; never over MAX_PAUSE_MS or a quarter of the idle
// timeout, so it never lags far.
const MAX_PAUSE_MS = 250;
const MIN_PAUSE_MS = 2;
const SMALL_READ = 1024;
// The tail first decoded to find the last events; doubled while it holds too few of them whole.
const TAIL_BYTES = 16_384;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Hands an upstream SSE body to the client as it is, moved by the runtime, and watches a `tee()`
 * copy in JavaScript. The copy is not read whole by the runtime: that reads the source in large
 * pieces, and the client would get its first byte only at the end. Read as it comes, it costs a read
 * per network piece; so after a small read the watcher pauses, and the next read takes what arrived
 * meanwhile. On `idleTimeoutMs` of silence the upstream fetch is aborted, so the client's answer
 * ends as a network error, never as a clean end; an upstream that breaks off does the same to it by
 * itself. What the stream said (usage, whether it finished) is the protocol's to read from the parts.
 */
export function watchPassedStream(upstream: ReadableStream<Uint8Array>, options: WatchOptions) {
  const [stream, copy] = upstream.tee();
  return { stream, ended: watchCopy(copy, options) };
}

async function watchCopy(copy: ReadableStream<Uint8Array>, options: WatchOptions): Promise<WatchedEnd> {
  const reader = copy.getReader();
  // Not an AbortError: to a client it is the upstream's failure, not its own cancel.
  const watchdog = new IdleWatchdog(options.idleTimeoutMs, () => options.abort(new UpstreamTimeoutError("idle")));
  const maxPause = Math.min(MAX_PAUSE_MS, Math.floor(options.idleTimeoutMs / 4));
  const started = Date.now();
  let paused = 0;
  const parts: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      watchdog.piece();
      parts.push(value);
      if (value.length >= SMALL_READ) continue;
      // Grows with the time spent waiting for the upstream, and only slowly with the pauses' own sum: a
      // source that gives one piece per read must not slow itself down, nor a long fast one read every 2 ms.
      const age = Date.now() - started;
      const pause = Math.min(maxPause, Math.max(MIN_PAUSE_MS, Math.floor((age - paused) / 20), Math.floor(age / 100)));
      if (pause <= 0) continue;
      await sleep(pause);
      paused += pause;
    }
  } catch (err) {
    watchdog.stop();
    if (!watchdog.timedOut) options.abort(err instanceof Error ? err : new Error("upstream stream failed"));
    return { status: "failed", reason: watchdog.timedOut ? "idle_timeout" : "upstream_broken" };
  }
  watchdog.stop();
  return { status: "ended", parts };
}

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/;

/** The last `wanted` events of a whole stream, last first, each read whole however long it is. */
export function lastEvents(parts: Uint8Array[], wanted: number): SseEvent[] {
  let target = TAIL_BYTES;
  for (;;) {
    let size = 0;
    let first = parts.length;
    while (first > 0 && size < target) size += parts[--first].length;
    const decoder = new TextDecoder();
    let text = "";
    for (let i = first; i < parts.length; i++) text += decoder.decode(parts[i], { stream: true });
    text += decoder.decode();
    if (first > 0) {
      // Starts at an event boundary, so no event is read from its middle.
      const boundary = BOUNDARY.exec(text);
      text = boundary ? text.slice(boundary.index + boundary[0].length) : "";
    }
    const events: SseEvent[] = [];
    const blocks = text.split(BOUNDARY);
    for (let i = blocks.length - 1; i >= 0 && events.length < wanted; i--) {
      const event = parseEvent(blocks[i]);
      if (event) events.push(event);
    }
    if (events.length >= wanted || first === 0) return events;
    target *= 2;
  }
}
