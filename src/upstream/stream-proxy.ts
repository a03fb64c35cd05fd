import { errorBody } from "../errors";
import type { ChatCompletion } from "../schemas/openai";
import { nowSeconds } from "../ids";
import { CompletionAccumulator } from "./accumulate";
import { IdleTimeoutReader, UpstreamTimeoutError } from "./client";
import { formatSseData, SseParser, type SseEvent } from "./sse";

export interface StreamProxyOptions {
  idleTimeoutMs: number;
  /** Rebuild the completion from the chunks (for `store: true`). */
  accumulate: boolean;
  /** The gateway asked for `include_usage` itself: hide the usage the client did not ask for. */
  hideUsage: boolean;
  /** When set, replaces every chunk's id (the id the gateway minted for a stored completion). */
  id?: string;
}

/** `usage`: the raw usage object of the stream's usage chunk, null when none came. */
export type StreamOutcome =
  | { status: "complete"; completion: ChatCompletion | null; upstreamId: string | null; usage: unknown }
  | { status: "failed"; reason: string; usage: unknown }
  | { status: "cancelled"; usage: unknown };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Pipes an upstream SSE body to the client one event at a time, as each arrives, while
 * rebuilding the completion. `outcome` settles when the stream ends; only a stream that reached
 * `data: [DONE]` counts as complete.
 */
export function proxyChatStream(upstream: ReadableStream<Uint8Array>, options: StreamProxyOptions) {
  const reader = new IdleTimeoutReader(upstream.getReader(), options.idleTimeoutMs);
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const parser = new SseParser();
  const accumulator = options.accumulate ? new CompletionAccumulator() : null;
  const finalId = options.id;
  // The upstream's own id, kept for tracing when `id` replaces it.
  let upstreamId: string | null = null;
  let sawDone = false;
  let upstreamError = false;
  let usage: unknown = null;
  let resolveOutcome!: (outcome: StreamOutcome) => void;
  const outcome = new Promise<StreamOutcome>((resolve) => (resolveOutcome = resolve));
  const settle = (result: DistributiveOmit<StreamOutcome, "usage">) => resolveOutcome({ ...result, usage } as StreamOutcome);
  // Nothing to rebuild, rename or hide: a chunk is parsed only if it may be an error.
  const passThrough = !accumulator && !options.hideUsage && finalId === undefined;

  function transform(event: SseEvent): string | null {
    if (event.data === "[DONE]") {
      sawDone = true;
      return formatSseData("[DONE]");
    }
    // Only the usage chunk has a usage object (the others have none, or `"usage":null`).
    const mayHaveUsage = /"usage":\s*\{/.test(event.data);
    if (passThrough && !mayHaveUsage && event.event !== "error" && !event.data.includes('"error"')) return `${event.raw}\n\n`;
    let chunk: Record<string, any>;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      return `${event.raw}\n\n`;
    }
    if (chunk === null || typeof chunk !== "object") return `${event.raw}\n\n`;
    if (chunk.error) {
      upstreamError = true;
      return `${event.raw}\n\n`;
    }
    let rewrite = false;
    if (upstreamId === null && typeof chunk.id === "string" && chunk.id !== "") upstreamId = chunk.id;
    if (finalId !== undefined && chunk.id !== finalId) {
      chunk.id = finalId;
      rewrite = true;
    }
    if (mayHaveUsage && chunk.usage && typeof chunk.usage === "object") usage = chunk.usage;
    accumulator?.add(chunk);
    if (options.hideUsage && "usage" in chunk) {
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
      delete chunk.usage;
      rewrite = true;
    }
    return rewrite ? formatSseData(JSON.stringify(chunk), event.event ?? undefined) : `${event.raw}\n\n`;
  }

  function fail(controller: ReadableStreamDefaultController<Uint8Array>, reason: string, message: string, code: string) {
    controller.enqueue(encoder.encode(formatSseData(JSON.stringify(errorBody(message, "upstream_error", null, code)), "error")));
    controller.close();
    settle({ status: "failed", reason });
  }

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        await pump(controller);
      } catch {
        // A bug or a malformed chunk must still end the stream cleanly, with an error event.
        reader.cancel().catch(() => {});
        try {
          fail(controller, "gateway_error", "The gateway could not process the upstream stream.", "stream_processing_failed");
        } catch {
          settle({ status: "failed", reason: "gateway_error" });
        }
      }
    },
    cancel(reason) {
      // The client went away: stop the upstream generation too.
      settle({ status: "cancelled" });
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });

  /** Moves the upstream forward until at least one event has gone out, so each chunk leaves as soon as it arrives. */
  async function pump(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        if (err instanceof UpstreamTimeoutError) {
          return fail(controller, "idle_timeout", `The upstream sent nothing for ${options.idleTimeoutMs} ms.`, "upstream_timeout");
        }
        return fail(controller, "upstream_broken", "The upstream connection broke before the stream was complete.", "upstream_disconnected");
      }
      const text = result.done ? decoder.decode() : decoder.decode(result.value, { stream: true });
      const events = parser.push(text);
      if (result.done) events.push(...parser.flush());
      let out = "";
      for (const event of events) out += transform(event) ?? "";
      if (out) controller.enqueue(encoder.encode(out));
      if (result.done) {
        if (upstreamError) {
          controller.close();
          return settle({ status: "failed", reason: "upstream_error_event" });
        }
        if (!sawDone) {
          return fail(controller, "no_done", "The upstream stream ended before it was complete.", "upstream_incomplete");
        }
        controller.close();
        const completion = accumulator ? accumulator.result({ id: finalId ?? "", created: nowSeconds(), model: "" }) : null;
        if (completion && finalId !== undefined) completion.id = finalId;
        return settle({ status: "complete", completion, upstreamId });
      }
      if (out) return;
    }
  }

  return { stream, outcome };
}
