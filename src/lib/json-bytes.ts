// Finds top-level keys of a JSON object in its UTF-8 bytes, so that a stream chunk's id or usage
// can be read or replaced without JSON.parse + JSON.stringify of the whole chunk. Only the bytes
// up to the last key wanted are looked at. UTF-8 continuation bytes never equal an ASCII
// delimiter, so byte offsets are safe to cut at.

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** Where one top-level member lies: `before` is its `,` or the object's `{`; `value` to `end` is its value. */
interface MemberSpan {
  before: number;
  key: number;
  value: number;
  end: number;
}

const isSpace = (b: number) => b === 32 || b === 10 || b === 13 || b === 9;

function skipSpace(bytes: Uint8Array, at: number, end: number): number {
  while (at < end && isSpace(bytes[at])) at++;
  return at;
}

/** Index past the closing quote of the string opening at `at`, or -1. A JS loop: see sse-bytes.ts. */
function skipString(bytes: Uint8Array, at: number, end: number): number {
  for (let i = at + 1; i < end; i++) {
    const b = bytes[i];
    if (b === BACKSLASH) i++;
    else if (b === QUOTE) return i + 1;
  }
  return -1;
}

/** Index past the value starting at `at` (after spaces), or -1 if it is malformed. */
function skipValue(bytes: Uint8Array, at: number, end: number): number {
  const first = bytes[at];
  if (first === QUOTE) return skipString(bytes, at, end);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let i = at; i < end; i++) {
      const b = bytes[i];
      if (b === QUOTE) {
        i = skipString(bytes, i, end) - 1;
        if (i < 0) return -1;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--depth === 0) return i + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  while (i < end && bytes[i] !== COMMA && bytes[i] !== CLOSE_BRACE && !isSpace(bytes[i])) i++;
  return i > at ? i : -1;
}

function keyIs(bytes: Uint8Array, start: number, stop: number, key: Uint8Array): boolean {
  if (stop - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (bytes[start + i] !== key[i]) return false;
  return true;
}

/**
 * The spans of the wanted top-level keys (null for each one absent) of the object in
 * bytes[start, end), or null if that is not a JSON object. Keys are compared as raw bytes, so a
 * key written with escapes is not recognised (no JSON encoder writes plain ASCII keys that way).
 */
export function findTopLevelKeys(bytes: Uint8Array, start: number, end: number, keys: Uint8Array[]): (MemberSpan | null)[] | null {
  const found: (MemberSpan | null)[] = keys.map(() => null);
  let missing = keys.length;
  let at = skipSpace(bytes, start, end);
  if (bytes[at] !== OPEN_BRACE) return null;
  let before = at;
  at = skipSpace(bytes, at + 1, end);
  if (bytes[at] === CLOSE_BRACE) return found;
  for (;;) {
    if (bytes[at] !== QUOTE) return null;
    const keyEnd = skipString(bytes, at, end);
    if (keyEnd === -1) return null;
    const colon = skipSpace(bytes, keyEnd, end);
    if (bytes[colon] !== COLON) return null;
    const value = skipSpace(bytes, colon + 1, end);
    const valueEnd = skipValue(bytes, value, end);
    if (valueEnd === -1) return null;
    for (let k = 0; k < keys.length; k++) {
      if (found[k] === null && keyIs(bytes, at + 1, keyEnd - 1, keys[k])) {
        found[k] = { before, key: at, value, end: valueEnd };
        missing--;
      }
    }
    if (missing === 0) return found;
    const next = skipSpace(bytes, valueEnd, end);
    if (bytes[next] === CLOSE_BRACE) return found;
    if (bytes[next] !== COMMA) return null;
    before = next;
    at = skipSpace(bytes, next + 1, end);
  }
}

/** bytes[start, end) is a JSON empty array `[]`, spaces allowed. */
export function isEmptyArray(bytes: Uint8Array, start: number, end: number): boolean {
  const open = skipSpace(bytes, start, end);
  return bytes[open] === OPEN_BRACKET && bytes[skipSpace(bytes, open + 1, end)] === CLOSE_BRACKET;
}

/** Index just inside the `{` of the object in bytes[start, end), and whether the object is empty. */
export function objectStart(bytes: Uint8Array, start: number, end: number): [number, boolean] {
  const inside = skipSpace(bytes, start, end) + 1;
  return [inside, bytes[skipSpace(bytes, inside, end)] === CLOSE_BRACE];
}

/** The byte range to cut to remove a member with its comma: the one before it, else the one after it. */
export function memberCut(bytes: Uint8Array, span: MemberSpan, end: number): [number, number] {
  if (bytes[span.before] === COMMA) return [span.before, span.end];
  const next = skipSpace(bytes, span.end, end);
  return [span.key, bytes[next] === COMMA ? skipSpace(bytes, next + 1, end) : span.end];
}
