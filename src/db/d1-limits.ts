// D1's real limits, which the local simulator does not enforce
// (https://developers.cloudflare.com/d1/platform/limits/).
export const D1_MAX_BOUND_PARAMETERS = 100;
export const D1_MAX_ROW_BYTES = 2_000_000;
export const D1_MAX_STATEMENT_BYTES = 100_000;

/**
 * Longest JSON text kept in one row, in UTF-16 code units. A code unit takes at most 3 bytes of
 * UTF-8 (a surrogate pair takes 4 for 2 units), so a piece stays well under D1_MAX_ROW_BYTES.
 */
export const PAYLOAD_PIECE_UNITS = 400_000;

/** Upper bound of the bytes of values bound to one multi-row insert. */
const STATEMENT_PAYLOAD_BYTES = 1_500_000;

/**
 * Splits rows into groups for multi-row inserts: each group binds at most 100 parameters and,
 * unless a single row is larger, at most STATEMENT_PAYLOAD_BYTES of text.
 */
export function chunkRows<T>(rows: T[], columnsPerRow: number, bytesOf: (row: T) => number = () => 0): T[][] {
  const rowsPerStatement = Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / columnsPerRow));
  const groups: T[][] = [];
  let group: T[] = [];
  let groupBytes = 0;
  for (const row of rows) {
    const bytes = bytesOf(row);
    if (group.length > 0 && (group.length >= rowsPerStatement || groupBytes + bytes > STATEMENT_PAYLOAD_BYTES)) {
      groups.push(group);
      group = [];
      groupBytes = 0;
    }
    group.push(row);
    groupBytes += bytes;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Splits text into pieces of at most `maxUnits` code units, never between the halves of a surrogate pair. */
export function splitText(text: string, maxUnits = PAYLOAD_PIECE_UNITS): string[] {
  if (text.length <= maxUnits) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + maxUnits, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** A safe upper bound of the UTF-8 size of a string. */
export const maxUtf8Bytes = (text: string | null | undefined) => (text ? text.length * 3 : 0);
