import { errorBody } from "../errors";
import type { ChatCompletion } from "../schemas/openai";
import { newCompletionId, nowSeconds } from "../ids";
import { CompletionAccumulator } from "./accumulate";
import { IdleWatchdog } from "./client";
import { findTopLevelKeys, isEmptyArray, memberCut, objectStart } from "./json-bytes";
import { formatSseData, parseEvent } from "./sse";
import { SseByteScanner, type SseBatch, type SseEventSpan } from "./sse-bytes";

export interface StreamProxyOptions {
  idleTimeoutMs: number;
  /** Rebuild the completion from the chunks (for `store: true`). */
  accumulate: boolean;
  /** The gateway asked for `include_usage` itself: hide the usage the client did not ask for. */
  hideUsage: boolean;
  /** The id the client and the store see in every chunk (minted by the gateway for a stored stream). */
  id?: string;
}

/** The usage object of the stream's usage chunk, as the upstream sent it. */
export type RawUsage = Record<string, unknown>;

export type StreamOutcome =
  | { status: "complete"; completion: ChatCompletion | null; usage: RawUsage | null }
  | { status: "failed"; reason: string; usage: RawUsage | null }
  | { status: "cancelled"; usage: RawUsage | null };

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text);
const KEY_ID = bytesOf("id");
const KEY_USAGE = bytesOf("usage");
const KEY_CHOICES = bytesOf("choices");
const DONE = bytesOf("[DONE]");
const OPEN_BRACE = 123;

/** What to put in place of bytes[start, end) of a read: new bytes, or nothing (the event is dropped). */
interface Edit {
  start: number;
  end: number;
  bytes: Uint8Array | null;
}

function isDone(bytes: Uint8Array, event: SseEventSpan): boolean {
  if (event.dataEnd - event.dataStart !== DONE.length) return false;
  for (let i = 0; i < DONE.length; i++) if (bytes[event.dataStart + i] !== DONE[i]) return false;
  return true;
}

/** Joins the kept ranges of `bytes` and the edits' new bytes, in one copy. */
function applyEdits(bytes: Uint8Array, complete: number, edits: Edit[]): Uint8Array {
  let length = complete;
  for (const edit of edits) length += (edit.bytes?.length ?? 0) - (edit.end - edit.start);
  const out = new Uint8Array(length);
  let from = 0;
  let to = 0;
  for (const edit of edits) {
    out.set(bytes.subarray(from, edit.start), to);
    to += edit.start - from;
    if (edit.bytes) {
      out.set(edit.bytes, to);
      to += edit.bytes.length;
    }
    from = edit.end;
  }
  out.set(bytes.subarray(from, complete), to);
  return out;
}

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
  const accumulator = options.accumulate ? new CompletionAccumulator() : null;
  const idValue = options.id === undefined ? null : bytesOf(JSON.stringify(options.id));
  const idMember = options.id === undefined ? null : bytesOf(`"id":${JSON.stringify(options.id)}`);
  const idMemberComma = options.id === undefined ? null : bytesOf(`"id":${JSON.stringify(options.id)},`);
  const decoder = new TextDecoder();
  let usage: RawUsage | null = null;
  let sawDone = false;
  let upstreamError = false;
  let settle!: (outcome: StreamOutcome) => void;
  const outcome = new Promise<StreamOutcome>((resolve) => (settle = resolve));

  /** Notes a parsed chunk: an error, or usage; feeds the accumulator. Returns false if it is not a chunk. */
  function notice(chunk: unknown): chunk is Record<string, any> {
    if (chunk === null || typeof chunk !== "object") return false;
    const fields = chunk as Record<string, any>;
    if (fields.error) {
      upstreamError = true;
      return false;
    }
    if (fields.usage && typeof fields.usage === "object") usage = fields.usage;
    accumulator?.add(fields);
    return true;
  }

  const parse = (bytes: Uint8Array, start: number, end: number): unknown => {
    try {
      return JSON.parse(decoder.decode(bytes.subarray(start, end)));
    } catch {
      return undefined;
    }
  };

  /** The edits one single-data-line event needs, found at byte level, in order. */
  function lookAt(bytes: Uint8Array, event: SseEventSpan, edits: Edit[]): void {
    const { dataStart, dataEnd } = event;
    if (isDone(bytes, event)) {
      sawDone = true;
      return;
    }
    // Parsed only by the store, or when the chunk may be an error; everything else is looked at as bytes.
    const parsed = accumulator !== null || event.errorType || event.quotedError;
    if (parsed && !notice(parse(bytes, dataStart, dataEnd))) return;
    const mayHaveUsage = event.quotedUsage;
    if (!idValue && !mayHaveUsage) return;
    const keys = findTopLevelKeys(bytes, dataStart, dataEnd, mayHaveUsage ? [KEY_ID, KEY_USAGE, KEY_CHOICES] : [KEY_ID]);
    if (!keys) return;
    const [id, usageSpan, choices] = keys;
    if (usageSpan && !parsed && bytes[usageSpan.value] === OPEN_BRACE) {
      const value = parse(bytes, usageSpan.value, usageSpan.end);
      if (value && typeof value === "object") usage = value as RawUsage;
    }
    let idEdit: Edit | null = null;
    if (idValue) {
      if (id) idEdit = { start: id.value, end: id.end, bytes: idValue };
      else {
        // A chunk without an id gets one, first.
        const [at, empty] = objectStart(bytes, dataStart, dataEnd);
        idEdit = { start: at, end: at, bytes: empty ? idMember : idMemberComma };
      }
    }
    let usageEdit: Edit | null = null;
    if (options.hideUsage && usageSpan) {
      if (choices && isEmptyArray(bytes, choices.value, choices.end)) {
        edits.push({ start: event.start, end: event.end, bytes: null });
        return;
      }
      const [start, end] = memberCut(bytes, usageSpan, dataEnd);
      const onlyMember = bytes[usageSpan.before] === OPEN_BRACE && end === usageSpan.end;
      // If the usage was the chunk's only member, an id to add takes its place.
      usageEdit = { start, end, bytes: onlyMember && idEdit && !id ? idMember : null };
      if (usageEdit.bytes) idEdit = null;
    }
    if (idEdit && usageEdit && usageEdit.start < idEdit.start) [idEdit, usageEdit] = [usageEdit, idEdit];
    if (idEdit) edits.push(idEdit);
    if (usageEdit) edits.push(usageEdit);
  }

  /**
   * An event with several data lines (no provider sends one for a chunk): the data is joined as
   * SSE says, and the event rewritten as one data line if it must change.
   */
  function lookAtMultiLine(bytes: Uint8Array, event: SseEventSpan, edits: Edit[]): void {
    const parsed = parseEvent(decoder.decode(bytes.subarray(event.start, event.end)));
    if (!parsed) return;
    if (parsed.data === "[DONE]") {
      sawDone = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(parsed.data);
    } catch {
      return;
    }
    if (!notice(chunk)) return;
    let changed = false;
    if (options.hideUsage && "usage" in chunk) {
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) {
        edits.push({ start: event.start, end: event.end, bytes: null });
        return;
      }
      delete chunk.usage;
      changed = true;
    }
    if (options.id !== undefined && chunk.id !== options.id) {
      chunk.id = options.id;
      changed = true;
    }
    if (changed) edits.push({ start: event.start, end: event.end, bytes: bytesOf(formatSseData(JSON.stringify(chunk), parsed.event ?? undefined)) });
  }

  /** The bytes of a batch's whole events to send on: the read itself when nothing changes. */
  function transform(batch: SseBatch): Uint8Array | null {
    const { bytes, events, complete } = batch;
    const edits: Edit[] = [];
    for (const event of events) {
      if (event.dataLines === 1) lookAt(bytes, event, edits);
      else if (event.dataLines > 1) lookAtMultiLine(bytes, event, edits);
    }
    if (complete === 0) return null;
    if (edits.length === 0) return complete === bytes.length ? bytes : bytes.subarray(0, complete);
    return applyEdits(bytes, complete, edits);
  }

  function fail(controller: ReadableStreamDefaultController<Uint8Array>, reason: string, message: string, code: string) {
    controller.enqueue(bytesOf(formatSseData(JSON.stringify(errorBody(message, "upstream_error", null, code)), "error")));
    controller.close();
    settle({ status: "failed", reason, usage });
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
            settle({ status: "failed", reason: "gateway_error", usage });
          }
        }
      },
      cancel(reason) {
        // The client went away: stop the upstream generation too.
        watchdog.stop();
        settle({ status: "cancelled", usage });
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
      const out = batch && transform(batch);
      if (out && out.length > 0) controller.enqueue(out);
      if (result.done) {
        watchdog.stop();
        if (upstreamError) {
          controller.close();
          return settle({ status: "failed", reason: "upstream_error_event", usage });
        }
        if (!sawDone) {
          return fail(controller, "no_done", "The upstream stream ended before it was complete.", "upstream_incomplete");
        }
        controller.close();
        const completion = accumulator ? accumulator.result({ id: options.id ?? newCompletionId(), created: nowSeconds(), model: "" }) : null;
        if (completion && options.id !== undefined) completion.id = options.id;
        return settle({ status: "complete", completion, usage });
      }
      if (out && out.length > 0) return;
    }
  }

  return { stream, outcome };
}
