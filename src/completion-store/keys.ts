import type { IndexRow } from "../db/completion-index";
import { bodyKey } from "../store/bodies";

// The R2 keys of a stored completion's objects, all under its team's day (src/store/bodies.ts).

/** A completion's object: its answer, and where its messages are. */
export const completionKey = (tid: number, row: Pick<IndexRow, "at" | "id">) => bodyKey(tid, row.at, "c", row.id);
/** A segment of messages, shared by the day's completions that re-send them. */
export const segmentKey = (tid: number, at: number, name: string) => bodyKey(tid, at, "m", name);
/** A pack of answers for lists, named by its first completion. */
export const packKey = (tid: number, at: number, id: string) => bodyKey(tid, at, "p", id);

/** The key of a listed row's pack ("{at}:{id}", as the index gives it). */
export function packKeyOf(tid: number, pack: string): string {
  const colon = pack.indexOf(":");
  return packKey(tid, Number(pack.slice(0, colon)), pack.slice(colon + 1));
}
