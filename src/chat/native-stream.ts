import { UpstreamTimeoutError } from "../proxy/idle-timeout";
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

/**
 * Hands an upstream SSE body to the client as it is, moved by the runtime, and watches a `tee()`
 * copy without JavaScript per piece: the copy is read whole natively and its last events looked at
 * once it ends; a third copy piped into a `DigestStream` gives the byte count that the idle
 * watchdog polls. On a stall past `idleTimeoutMs` the upstream fetch is aborted, so the client's
 * answer ends as a network error (no terminating chunk), never as a clean end; an upstream that
 * breaks off does the same to it by itself. Only a copy that reached `data: [DONE]` is complete.
 */
export function watchNativeChatStream(upstream: ReadableStream<Uint8Array>, options: NativeStreamOptions) {
  const [stream, rest] = upstream.tee();
  const [copy, counted] = rest.tee();
  const counter = new crypto.DigestStream("MD5");
  // Only its byte count is wanted; its digest fails with the stream when the upstream breaks.
  counter.digest.catch(() => {});
  counted.pipeTo(counter).catch(() => {});
  let seen = 0;
  let lastPieceAt = Date.now();
  let timedOut = false;
  const timer = setInterval(
    () => {
      const written = Number(counter.bytesWritten);
      if (written !== seen) {
        seen = written;
        lastPieceAt = Date.now();
      } else if (Date.now() - lastPieceAt >= options.idleTimeoutMs) {
        timedOut = true;
        clearInterval(timer);
        // Not an AbortError: to a client it is the upstream's failure, not its own cancel.
        options.abort(new UpstreamTimeoutError("idle"));
      }
    },
    Math.max(5, Math.ceil(options.idleTimeoutMs / 4)),
  );
  const outcome: Promise<StreamOutcome> = new Response(copy).arrayBuffer().then(
    (whole) => {
      clearInterval(timer);
      return endOf(new Uint8Array(whole));
    },
    (err) => {
      clearInterval(timer);
      options.abort(err instanceof Error ? err : new Error("upstream stream failed"));
      return { status: "failed", reason: timedOut ? "idle_timeout" : "upstream_broken", usage: null };
    },
  );
  return { stream, outcome };
}

/** How a whole stream ended, from its last events: complete at `[DONE]`, with the usage it reported. */
export function endOf(bytes: Uint8Array): StreamOutcome {
  const start = Math.max(0, bytes.length - TAIL_BYTES);
  let text = new TextDecoder().decode(bytes.subarray(start));
  if (start > 0) {
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
