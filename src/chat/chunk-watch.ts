import type { ChatCompletion } from "../schemas/openai";
import { nowSeconds, randomId } from "../ids";
import { CompletionAccumulator } from "./accumulate";
import { findTopLevelKeys, isEmptyArray, memberCut, objectStart } from "../lib/json-bytes";
import { formatSseData, parseEvent } from "../lib/sse";
import type { SseBatch, SseEventSpan } from "../lib/sse-bytes";

// What the gateway looks at in each event of a chat stream, at byte level: the end, error events
// and the usage chunk; and, when asked, each chunk's id (rewritten in place) and the usage the
// client did not ask for (cut out). A read that needs no change goes on as the same bytes.

/** The usage object of the stream's usage chunk, as the upstream sent it. */
export type RawUsage = Record<string, unknown>;

export interface ChunkWatchOptions {
  /** Rebuild the completion from the chunks (for `store: true`); the store needs the objects, so each chunk is parsed. */
  accumulate: boolean;
  /** The gateway asked for `include_usage` itself: hide the usage the client did not ask for. */
  hideUsage: boolean;
  /** The id every chunk must carry. */
  id?: string;
}

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text);
const KEY_ID = bytesOf("id");
const KEY_USAGE = bytesOf("usage");
const KEY_CHOICES = bytesOf("choices");
const DONE = bytesOf("[DONE]");
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const QUOTE = 34;

/** What to put in place of bytes[start, end) of a read: new bytes, or nothing (the event is dropped). */
interface Edit {
  start: number;
  end: number;
  bytes: Uint8Array | null;
}

/** Is the event `data: [DONE]`? */
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

/** Watches one stream's events; read `usage`, `sawDone`, `upstreamError` and `completion()` once it ends. */
export class ChunkWatch {
  usage: RawUsage | null = null;
  /** The upstream's own id (its first non-empty one), kept for tracing when `id` replaces it; null when not looked for. */
  upstreamId: string | null = null;
  sawDone = false;
  upstreamError = false;
  private readonly accumulator: CompletionAccumulator | null;
  private readonly idValue: Uint8Array | null = null;
  private readonly idMember: Uint8Array | null = null;
  private readonly idMemberComma: Uint8Array | null = null;
  private readonly decoder = new TextDecoder();
  /** For the store: each chunk's data as it came, parsed all at once when the completion is asked for. */
  private readonly kept: Uint8Array[] | null;

  constructor(private readonly options: ChunkWatchOptions) {
    this.accumulator = options.accumulate ? new CompletionAccumulator() : null;
    this.kept = options.accumulate ? [] : null;
    if (options.id !== undefined) {
      const id = JSON.stringify(options.id);
      this.idValue = bytesOf(id);
      this.idMember = bytesOf(`"id":${id}`);
      this.idMemberComma = bytesOf(`"id":${id},`);
    }
  }

  /** The completion rebuilt from the chunks, under the id given (else the upstream's, else a fresh one). */
  completion(): ChatCompletion | null {
    if (!this.accumulator) return null;
    for (const chunk of this.parseKept()) this.notice(chunk, true);
    const completion = this.accumulator.result({ id: this.options.id ?? randomId("chatcmpl-"), created: nowSeconds(), model: "" });
    if (this.options.id !== undefined) completion.id = this.options.id;
    return completion;
  }

  /**
   * The kept chunks, parsed as one JSON array: one decode and one parse for the whole stream cost
   * less than one per chunk. If one chunk is malformed, each is parsed alone and that one skipped.
   */
  private parseKept(): unknown[] {
    const kept = this.kept!;
    if (kept.length === 0) return [];
    let length = kept.length + 1;
    for (const data of kept) length += data.length;
    const joined = new Uint8Array(length);
    joined[0] = OPEN_BRACKET;
    let at = 1;
    for (const data of kept) {
      joined.set(data, at);
      at += data.length;
      joined[at++] = COMMA;
    }
    joined[length - 1] = CLOSE_BRACKET;
    try {
      return JSON.parse(this.decoder.decode(joined));
    } catch {
      return kept.map((data) => this.parse(data, 0, data.length));
    } finally {
      kept.length = 0;
    }
  }

  /** Notes a parsed chunk: an error, or usage; feeds the accumulator when `accumulate`. Returns false if it is not a chunk. */
  private notice(chunk: unknown, accumulate: boolean): chunk is Record<string, any> {
    if (chunk === null || typeof chunk !== "object") return false;
    const fields = chunk as Record<string, any>;
    if (fields.error) {
      this.upstreamError = true;
      return false;
    }
    if (fields.usage && typeof fields.usage === "object") this.usage = fields.usage;
    if (this.upstreamId === null && typeof fields.id === "string" && fields.id !== "") this.upstreamId = fields.id;
    if (accumulate) this.accumulator?.add(fields);
    return true;
  }

  private parse(bytes: Uint8Array, start: number, end: number): unknown {
    try {
      return JSON.parse(this.decoder.decode(bytes.subarray(start, end)));
    } catch {
      return undefined;
    }
  }

  /** The edits one single-data-line event needs, found at byte level, in order. */
  private lookAt(bytes: Uint8Array, event: SseEventSpan, edits: Edit[]): void {
    const { dataStart, dataEnd } = event;
    if (isDone(bytes, event)) {
      this.sawDone = true;
      return;
    }
    // Parsed at once only when the chunk may be an error; the store's chunks are kept and parsed at the end.
    const parsed = event.errorType || event.quotedError;
    if (parsed && !this.notice(this.parse(bytes, dataStart, dataEnd), false)) return;
    this.kept?.push(bytes.subarray(dataStart, dataEnd));
    const mayHaveUsage = event.quotedUsage;
    if (!this.idValue && !mayHaveUsage) return;
    const keys = findTopLevelKeys(bytes, dataStart, dataEnd, mayHaveUsage ? [KEY_ID, KEY_USAGE, KEY_CHOICES] : [KEY_ID]);
    if (!keys) return;
    const [id, usageSpan, choices] = keys;
    if (usageSpan && !parsed && bytes[usageSpan.value] === OPEN_BRACE) {
      const value = this.parse(bytes, usageSpan.value, usageSpan.end);
      if (value && typeof value === "object") this.usage = value as RawUsage;
    }
    if (this.idValue && id && !parsed && this.upstreamId === null && bytes[id.value] === QUOTE && id.end - id.value > 2) {
      const upstreamId = this.parse(bytes, id.value, id.end);
      if (typeof upstreamId === "string") this.upstreamId = upstreamId;
    }
    let idEdit: Edit | null = null;
    if (this.idValue) {
      if (id) idEdit = { start: id.value, end: id.end, bytes: this.idValue };
      else {
        // A chunk without an id gets one, first.
        const [at, empty] = objectStart(bytes, dataStart, dataEnd);
        idEdit = { start: at, end: at, bytes: empty ? this.idMember : this.idMemberComma };
      }
    }
    let usageEdit: Edit | null = null;
    if (this.options.hideUsage && usageSpan) {
      if (choices && isEmptyArray(bytes, choices.value, choices.end)) {
        edits.push({ start: event.start, end: event.end, bytes: null });
        return;
      }
      const [start, end] = memberCut(bytes, usageSpan, dataEnd);
      const onlyMember = bytes[usageSpan.before] === OPEN_BRACE && end === usageSpan.end;
      // If the usage was the chunk's only member, an id to add takes its place.
      usageEdit = { start, end, bytes: onlyMember && idEdit && !id ? this.idMember : null };
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
  private lookAtMultiLine(bytes: Uint8Array, event: SseEventSpan, edits: Edit[]): void {
    const parsed = parseEvent(this.decoder.decode(bytes.subarray(event.start, event.end)));
    if (!parsed) return;
    if (parsed.data === "[DONE]") {
      this.sawDone = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(parsed.data);
    } catch {
      return;
    }
    if (!this.notice(chunk, false)) return;
    this.kept?.push(bytesOf(parsed.data));
    let changed = false;
    if (this.options.hideUsage && "usage" in chunk) {
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) {
        edits.push({ start: event.start, end: event.end, bytes: null });
        return;
      }
      delete chunk.usage;
      changed = true;
    }
    if (this.options.id !== undefined && chunk.id !== this.options.id) {
      chunk.id = this.options.id;
      changed = true;
    }
    if (changed) edits.push({ start: event.start, end: event.end, bytes: bytesOf(formatSseData(JSON.stringify(chunk), parsed.event ?? undefined)) });
  }

  /** The bytes of a batch's whole events to send on: the read itself when nothing changes. */
  transform(batch: SseBatch): Uint8Array | null {
    const { bytes, events, complete } = batch;
    const edits: Edit[] = [];
    for (const event of events) {
      if (event.dataLines === 1) this.lookAt(bytes, event, edits);
      else if (event.dataLines > 1) this.lookAtMultiLine(bytes, event, edits);
    }
    if (complete === 0) return null;
    if (edits.length === 0) return complete === bytes.length ? bytes : bytes.subarray(0, complete);
    return applyEdits(bytes, complete, edits);
  }
}
