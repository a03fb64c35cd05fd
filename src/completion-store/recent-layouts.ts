import { DAY_MS } from "../store/bodies";
import type { CompletionObject } from "./conversation";

// The message layouts this isolate wrote last, by team and hash chain: an agent's next turn usually
// extends the turn before it, and finding that turn here saves the D1 lookup and the R2 read of its
// object. Only a layout of the same UTC day is reused (references never leave their day), and only
// for a write of today, whose day no retention can have deleted. A team's integer id is never
// reused, so a purged team's layouts can never be found for another team.

export type Layout = Pick<CompletionObject, "segs" | "refs">;

/** Enough for the conversations in flight on one isolate; an entry is two numbers per message and at most 8 segment names (a 100-message history: about 2 KB). */
const MAX_ENTRIES = 512;

const recent = new Map<string, { day: number; layout: Layout }>();
const keyOf = (tid: number, chain: string) => `${tid}/${chain}`;

/** Remembers the layout of a completion just written (its body is in R2). */
export function rememberLayout(tid: number, chain: string, atMs: number, layout: Layout): void {
  const key = keyOf(tid, chain);
  recent.delete(key);
  // Only the references are kept, never a body that came with them.
  recent.set(key, { day: Math.floor(atMs / DAY_MS), layout: { segs: layout.segs, refs: layout.refs } });
  // A Map iterates in insertion order: the first key is the least recently written.
  if (recent.size > MAX_ENTRIES) recent.delete(recent.keys().next().value!);
}

/** The layout of a completion of this team and day whose messages hash to `chain`, if this isolate wrote one. */
export function recentLayout(tid: number, chain: string, atMs: number): Layout | null {
  const day = Math.floor(atMs / DAY_MS);
  if (day !== Math.floor(Date.now() / DAY_MS)) return null;
  const entry = recent.get(keyOf(tid, chain));
  return entry && entry.day === day ? entry.layout : null;
}

/** Forgets every layout: the next writes find their earlier turns through D1 (as on a fresh isolate). */
export function forgetRecentLayouts(): void {
  recent.clear();
}
