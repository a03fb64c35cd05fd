// Byte-level SSE framing: finds where each event starts and ends, and where its data is, without
// decoding the stream to text. A stream that needs no change leaves as the bytes it came in as.

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const DATA = [100, 97, 116, 97]; // "data"
const EVENT = [101, 118, 101, 110, 116]; // "event"
const ERROR = [101, 114, 114, 111, 114]; // "error"

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

/** Index of the next line end at or after `from` (-1: none yet) and the index past it. */
function lineEnd(bytes: Uint8Array, from: number, hasCR: boolean, final: boolean): [number, number] {
  if (!hasCR) {
    const lf = bytes.indexOf(LF, from);
    return [lf, lf + 1];
  }
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === LF) return [i, i + 1];
    if (b === CR) {
      // A CR at the very end may be the first half of a CRLF still on its way.
      if (i + 1 === bytes.length) return final ? [i, i + 1] : [-1, 0];
      return [i, bytes[i + 1] === LF ? i + 2 : i + 1];
    }
  }
  return [-1, 0];
}

function scan(bytes: Uint8Array, final: boolean): SseBatch {
  const hasCR = bytes.indexOf(CR) !== -1;
  const events: SseEventSpan[] = [];
  let complete = 0;
  let event: SseEventSpan = { start: 0, end: 0, dataStart: 0, dataEnd: 0, dataLines: 0, errorType: false };
  let lineStart = 0;
  let fields = 0;
  for (;;) {
    const [end, next] = lineEnd(bytes, lineStart, hasCR, final);
    if (end === -1) break;
    if (end === lineStart) {
      // A blank line ends the event; blank lines between events are passed on as they are.
      if (fields > 0) {
        event.end = next;
        events.push(event);
      }
      complete = next;
      event = { start: next, end: 0, dataStart: 0, dataEnd: 0, dataLines: 0, errorType: false };
      fields = 0;
    } else {
      fields++;
      const colon = bytes.indexOf(COLON, lineStart);
      const nameEnd = colon === -1 || colon > end ? end : colon;
      let value = nameEnd === end ? end : nameEnd + 1;
      if (value < end && bytes[value] === SPACE) value++;
      if (nameEnd - lineStart === 4 && matches(bytes, lineStart, nameEnd, DATA)) {
        event.dataLines++;
        event.dataStart = value;
        event.dataEnd = end;
      } else if (nameEnd - lineStart === 5 && matches(bytes, lineStart, nameEnd, EVENT)) {
        event.errorType = end - value === 5 && matches(bytes, value, end, ERROR);
      }
    }
    lineStart = next;
  }
  return { bytes, events, complete };
}
