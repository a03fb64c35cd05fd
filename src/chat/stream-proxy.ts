import { errorBody } from "../errors";
import type { ChatCompletion } from "../schemas/openai";
import { ChunkWatch, type ChunkWatchOptions, type RawUsage } from "./chunk-watch";
import { IdleWatchdog } from "../proxy/idle-timeout";
import { formatSseData } from "../lib/sse";
import { SseByteScanner } from "../lib/sse-bytes";

export type { RawUsage };

export interface StreamProxyOptions extends ChunkWatchOptions {
  idleTimeoutMs: number;
}

export type StreamOutcome =
  | { status: "complete"; completion: ChatCompletion | null; upstreamId: string | null; usage: RawUsage | null }
  | { status: "failed"; reason: string; usage: RawUsage | null }
  | { status: "cancelled"; usage: RawUsage | null };

const encoder = new TextEncoder();

/**
 * Pipes an upstream SSE body to the client as the bytes it came in as, each whole event as soon
 * as it arrives. Only what the gateway needs is looked at, at byte level: the end (`data: [DONE]`),
 * error events, the usage chunk, and, when asked, each chunk's `"id"` (rewritten in place) and the
 * usage the client did not ask for (cut out). `outcome` settles when the stream ends; only a stream
 * that reached `data: [DONE]` counts as complete.
 */
export function proxyChatStream(upstream: ReadableStream<Uint8Array>, options: StreamProxyOptions) {
  // The upstream is read directly, with a watchdog beside it: a wrapper around read() would cost a promise per piece.
  const reader = upstream.getReader();
  const watchdog = new IdleWatchdog(options.idleTimeoutMs, () => reader.cancel().catch(() => {}));
  const scanner = new SseByteScanner();
  const watch = new ChunkWatch(options);
  let settle!: (outcome: StreamOutcome) => void;
  const outcome = new Promise<StreamOutcome>((resolve) => (settle = resolve));
  const complete = () => settle({ status: "complete", completion: watch.completion(), upstreamId: watch.upstreamId, usage: watch.usage });
  /** After `data: [DONE]` (and no error event) the answer is whole, whatever happens to the connection. */
  const whole = () => watch.sawDone && !watch.upstreamError;

  function fail(controller: ReadableStreamDefaultController<Uint8Array>, reason: string, message: string, code: string) {
    if (whole()) {
      controller.close();
      return complete();
    }
    controller.enqueue(encoder.encode(formatSseData(JSON.stringify(errorBody(message, "upstream_error", null, code)), "error")));
    controller.close();
    settle({ status: "failed", reason, usage: watch.usage });
  }

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          await pump(controller);
        } catch {
          // A bug or a malformed chunk must still end the stream cleanly, with an error event.
          watchdog.stop();
          reader.cancel().catch(() => {});
          try {
            fail(controller, "gateway_error", "The gateway could not process the upstream stream.", "stream_processing_failed");
          } catch {
            settle({ status: "failed", reason: "gateway_error", usage: watch.usage });
          }
        }
      },
      cancel(reason) {
        // The client went away: stop the upstream generation too. One that leaves after `data: [DONE]` got the whole answer.
        watchdog.stop();
        if (whole()) complete();
        else settle({ status: "cancelled", usage: watch.usage });
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );

  /** Moves the upstream forward until some bytes have gone out, so each event leaves as soon as it arrives. */
  async function pump(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch {
        watchdog.stop();
        return fail(controller, "upstream_broken", "The upstream connection broke before the stream was complete.", "upstream_disconnected");
      }
      if (watchdog.timedOut) {
        return fail(controller, "idle_timeout", `The upstream sent nothing for ${options.idleTimeoutMs} ms.`, "upstream_timeout");
      }
      watchdog.piece();
      const batch = result.done ? scanner.flush() : scanner.push(result.value);
      const out = batch && watch.transform(batch);
      if (out && out.length > 0) controller.enqueue(out);
      if (result.done) {
        watchdog.stop();
        if (watch.upstreamError) {
          controller.close();
          return settle({ status: "failed", reason: "upstream_error_event", usage: watch.usage });
        }
        if (!watch.sawDone) {
          return fail(controller, "no_done", "The upstream stream ended before it was complete.", "upstream_incomplete");
        }
        controller.close();
        return complete();
      }
      if (out && out.length > 0) return;
    }
  }

  return { stream, outcome };
}
