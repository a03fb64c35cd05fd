// Byte-level SSE framing: finds where each event starts and ends, and where its data is, without
// decoding the stream to text. A stream that needs no change leaves as the bytes it came in as.

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const DATA = [100, 97, 116, 97]; // "data"
const EVENT = [101, 118, 101, 110, 116]; // "event"
const ERROR = [101, 114, 114, 111, 114]; // "error"

const QUOTE = 34;
const E = 101;
const U = 117;
const ERROR_KEY = [114, 114, 111, 114, QUOTE]; // rror"
const USAGE_KEY = [115, 97, 103, 101, QUOTE]; // sage"

/** One complete event inside `SseBatch.bytes`. Offsets are absolute; `end` is past the closing blank line. */
export interface SseEventSpan {
  start: number;
  end: number;
  /** The value of the only data line (`dataLines === 1`); otherwise unset. */
  dataStart: number;
  dataEnd: number;
  /** How many `data:` lines the event has: only 1 can be looked at byte by byte. */
  dataLines: number;
  /** `event: error`. */
  errorType: boolean;
  /** The bytes `"error"` / `"usage"` occur in the event: it may be an error, or carry usage. */
  quotedError: boolean;
  quotedUsage: boolean;
}

export interface SseBatch {
  /** The bytes the events lie in: the read itself, or the unfinished tail of the last read followed by it. */
  bytes: Uint8Array;
  events: SseEventSpan[];
  /** Bytes [0, complete) hold whole events (and blank lines); the rest waits for the next read. */
  complete: number;
}

const matches = (bytes: Uint8Array, at: number, end: number, word: number[]) => {
  if (end - at < word.length) return false;
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word[i]) return false;
  return true;
};

const newEvent = (start: number): SseEventSpan => ({
  start,
  end: 0,
  dataStart: 0,
  dataEnd: 0,
  dataLines: 0,
  errorType: false,
  quotedError: false,
  quotedUsage: false,
});

/**
 * Feed it each read as it arrives; it returns the events completed so far and keeps the unfinished
 * tail, which is copied once and joined to the next read. Lines may end in LF, CRLF or CR.
 */
export class SseByteScanner {
  private tail: Uint8Array | null = null;

  push(chunk: Uint8Array): SseBatch {
    let bytes = chunk;
    if (this.tail) {
      bytes = new Uint8Array(this.tail.length + chunk.length);
      bytes.set(this.tail);
      bytes.set(chunk, this.tail.length);
      this.tail = null;
    }
    const batch = scan(bytes, false);
    if (batch.complete < bytes.length) this.tail = bytes.slice(batch.complete);
    return batch;
  }

  /** The stream ended: an event not closed by a blank line still counts, as SSE clients treat it. */
  flush(): SseBatch | null {
    const rest = this.tail;
    this.tail = null;
    if (!rest || rest.every((b) => b === LF || b === CR || b === SPACE)) return null;
    const bytes = new Uint8Array(rest.length + 2);
    bytes.set(rest);
    bytes[rest.length] = LF;
    bytes[rest.length + 1] = LF;
    return scan(bytes, true);
  }
}

/**
 * One pass over the bytes in plain JavaScript: a loop that skips every byte above `"` costs less
 * than TypedArray.indexOf, whose per-call overhead dominates on lines this short.
 */
function scan(bytes: Uint8Array, final: boolean): SseBatch {
  const events: SseEventSpan[] = [];
  const length = bytes.length;
  let complete = 0;
  let event = newEvent(0);
  let lineStart = 0;
  let fields = 0;
  for (let i = 0; i < length; i++) {
    const b = bytes[i];
    if (b > QUOTE) continue;
    if (b === QUOTE) {
      const next = bytes[i + 1];
      if (next === E && matches(bytes, i + 2, length, ERROR_KEY)) event.quotedError = true;
      else if (next === U && matches(bytes, i + 2, length, USAGE_KEY)) event.quotedUsage = true;
      continue;
    }
    if (b !== LF && b !== CR) continue;
    let after = i + 1;
    if (b === CR) {
      // A CR at the very end may be the first half of a CRLF still on its way.
      if (after === length && !final) break;
      if (bytes[after] === LF) after++;
    }
    if (i === lineStart) {
      // A blank line ends the event; blank lines between events are passed on as they are.
      if (fields > 0) {
        event.end = after;
        events.push(event);
      }
      complete = after;
      event = newEvent(after);
      fields = 0;
    } else {
      fields++;
      field(bytes, lineStart, i, event);
    }
    lineStart = after;
    i = after - 1;
  }
  return { bytes, events, complete };
}

/** Notes what the line bytes[start, end) says about its event. */
function field(bytes: Uint8Array, start: number, end: number, event: SseEventSpan): void {
  let nameEnd = start;
  while (nameEnd < end && bytes[nameEnd] !== COLON) nameEnd++;
  let value = nameEnd === end ? end : nameEnd + 1;
  if (value < end && bytes[value] === SPACE) value++;
  if (nameEnd - start === 4 && matches(bytes, start, nameEnd, DATA)) {
    event.dataLines++;
    event.dataStart = value;
    event.dataEnd = end;
  } else if (nameEnd - start === 5 && matches(bytes, start, nameEnd, EVENT)) {
    event.errorType = end - value === 5 && matches(bytes, value, end, ERROR);
  }
}
