import { invalidMultipart, missingModel, requestTooLarge } from "../../errors";

// Reads a multipart/form-data body only as far as its `model` field, so that an upload whose model
// comes before the file streams through without being buffered. Not Hono's parseBody or
// Request.formData(): both read the whole body, file included, before giving any field.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = encoder.encode("\r\n\r\n");
/** Part headers past this size are not a form an OpenAI client sends. */
const MAX_PART_HEADERS = 16 * 1024;

interface MultipartModel {
  model: string;
  /** The whole form, with the model field set to `upstreamModel`. A stream (one use) unless `replayable`. */
  body(upstreamModel: string): ReadableStream<Uint8Array> | Uint8Array;
  /** The model came last: the whole form has been read, and can be sent more than once. */
  replayable: boolean;
}

/** The boundary of a multipart/form-data content type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return null;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : null;
}

/** A byte buffer that grows by doubling, so reading a large file part costs linear time. */
class Bytes {
  data = new Uint8Array(64 * 1024);
  length = 0;

  append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.data.length) {
      const grown = new Uint8Array(Math.max(this.length + chunk.length, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(chunk, this.length);
    this.length += chunk.length;
  }

  indexOf(needle: Uint8Array, from: number): number {
    const last = this.length - needle.length;
    for (let i = this.data.indexOf(needle[0], from); i !== -1 && i <= last; i = this.data.indexOf(needle[0], i + 1)) {
      let j = 1;
      while (j < needle.length && this.data[i + j] === needle[j]) j++;
      if (j === needle.length) return i;
    }
    return -1;
  }

  view(start: number, end = this.length): Uint8Array {
    return this.data.subarray(start, end);
  }
}

type State = { at: "first" } | { at: "headers"; start: number } | { at: "value"; start: number; from: number; isModel: boolean };

/**
 * Reads `body` up to the end of its `model` field. Throws 400 when the form has no model or is not
 * a form, and 413 past `maxBytes` (the body limit has already checked a declared length).
 */
export async function readMultipartModel(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  maxBytes: number,
  declaredLength: number | null = null,
): Promise<MultipartModel> {
  const reader = body.getReader();
  const first = encoder.encode(`--${boundary}`);
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const closing = encoder.encode(`\r\n--${boundary}--`);
  const buf = new Bytes();
  let state: State = { at: "first" };
  let done = false;

  for (;;) {
    const found = scan();
    if (found === "no-model") {
      reader.cancel().catch(() => {});
      throw missingModel();
    }
    if (found) {
      const { start, end } = found;
      const model = decoder.decode(buf.view(start, end)).trim();
      if (!model) {
        reader.cancel().catch(() => {});
        throw missingModel();
      }
      // The model came last: one more read most likely ends the body, which can then be replayed.
      if (!done && buf.indexOf(closing, end) !== -1) await read();
      return done ? wholeForm(model, buf, start, end) : streamedForm(model, buf, start, end, reader, declaredLength);
    }
    if (done) throw invalidMultipart(state.at === "first" ? "it has no boundary line." : "it ends before its closing boundary.");
    await read();
  }

  async function read(): Promise<void> {
    const result = await reader.read();
    if (result.done) done = true;
    else buf.append(result.value);
    if (buf.length > maxBytes) {
      reader.cancel().catch(() => {});
      throw requestTooLarge(maxBytes);
    }
  }

  /** Moves through the parts read so far; the model field's byte range once it is complete. */
  function scan(): { start: number; end: number } | "no-model" | null {
    for (;;) {
      if (state.at === "first") {
        const i = buf.indexOf(first, 0);
        if (i === -1 || buf.length < i + first.length + 2) return null;
        const after = buf.view(i + first.length, i + first.length + 2);
        if (after[0] === 0x2d && after[1] === 0x2d) return "no-model";
        state = { at: "headers", start: i + first.length + 2 };
      } else if (state.at === "headers") {
        const end = buf.indexOf(CRLFCRLF, state.start);
        if (end === -1) {
          if (buf.length - state.start > MAX_PART_HEADERS) throw invalidMultipart("a part's headers are too long.");
          return null;
        }
        const headers = decoder.decode(buf.view(state.start, end));
        // `;\s*name=` and not `filename=`, which also ends in name=.
        const name = /;\s*name="([^"]*)"/i.exec(headers)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(headers)?.[1];
        state = { at: "value", start: end + 4, from: end + 4, isModel: name === "model" };
      } else {
        const end = buf.indexOf(delimiter, state.from);
        if (end === -1) {
          state.from = Math.max(state.start, buf.length - delimiter.length + 1);
          return null;
        }
        if (state.isModel) return { start: state.start, end };
        const after = end + delimiter.length;
        if (buf.length < after + 2) return null;
        if (buf.data[after] === 0x2d && buf.data[after + 1] === 0x2d) return "no-model";
        state = { at: "headers", start: after + 2 };
      }
    }
  }
}

function withModel(buf: Bytes, start: number, end: number, upstreamModel: string): Uint8Array[] {
  return [buf.view(0, start), encoder.encode(upstreamModel), buf.view(end)];
}

const byteLength = (pieces: Uint8Array[]) => pieces.reduce((n, p) => n + p.length, 0);

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(byteLength(pieces));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function wholeForm(model: string, buf: Bytes, start: number, end: number): MultipartModel {
  return { model, replayable: true, body: (upstreamModel) => concat(withModel(buf, start, end, upstreamModel)) };
}

function streamedForm(
  model: string,
  buf: Bytes,
  start: number,
  end: number,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  declaredLength: number | null,
): MultipartModel {
  return {
    model,
    replayable: false,
    body(upstreamModel) {
      const head = withModel(buf, start, end, upstreamModel);
      const headLength = byteLength(head);
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          for (let piece = head.shift(); piece; piece = head.shift()) if (piece.length > 0) return controller.enqueue(piece);
          const result = await reader.read();
          if (result.done) controller.close();
          else controller.enqueue(result.value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      });
      if (declaredLength === null) return stream;
      // A known length keeps content-length on the upload: some servers refuse a chunked form.
      const fixed = new FixedLengthStream(declaredLength - buf.length + headLength);
      stream.pipeTo(fixed.writable).catch(() => {});
      return fixed.readable;
    },
  };
}
