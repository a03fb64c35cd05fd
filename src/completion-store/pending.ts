import { carriesMac, mintedAt } from "../ids";
import type { NewStoredCompletion } from "../db/types";

// Read-after-write without a D1 call on the create path (docs/contract.md, "Create"). The write lands a moment after the
// answer (waitUntil, or the queue if D1 failed), so a read that misses a fresh id waits for it:
// - in the isolate that made it, the record is at hand until it has landed (this map);
// - elsewhere, the id says when it was minted, and a miss on a fresh one whose MAC checks polls D1, bounded.

/** Longest a miss on a fresh id waits for the write to land before the answer is 404. */
export const LANDING_WAIT_MS = 5_000;
/** How old an id may be and still be waited for: a stored stream is written when it ends. */
const FRESH_ID_MS = 15 * 60_000;
/** How long a record whose write went to the queue is still served from this isolate's memory. */
const QUEUED_HOLD_MS = 5 * 60_000;
const MAX_PENDING = 10_000;

interface Pending {
  /** null until the answer is complete and the record built. */
  record: NewStoredCompletion | null;
  /** When to forget it: FRESH_ID_MS after minting; after a hand-off to the queue, QUEUED_HOLD_MS later. */
  until: number;
  /** Deleted before its write landed: never served, never tracked again. */
  deleted?: true;
}

const pending = new Map<string, Pending>();
const keyOf = (teamId: string, id: string) => `${teamId}\n${id}`;

function remember(key: string, entry: Pending): void {
  if (pending.size >= MAX_PENDING && !pending.has(key)) {
    // Bounded memory: drop the oldest; a reader of it then polls D1 as another isolate would.
    const oldest = pending.keys().next().value;
    if (oldest !== undefined) pending.delete(oldest);
  }
  pending.set(key, entry);
}

/** An id was just minted for a completion that will be written once the answer is complete. */
export function expectWrite(teamId: string, id: string): void {
  remember(keyOf(teamId, id), { record: null, until: Date.now() + FRESH_ID_MS });
}

/** The record is built and its write starts. */
export function trackPending(record: NewStoredCompletion): void {
  const key = keyOf(record.teamId, record.id);
  if (pending.get(key)?.deleted) return;
  remember(key, { record, until: Date.now() + FRESH_ID_MS });
}

/** The write landed: D1 is the truth from now on. */
export function landed(record: NewStoredCompletion): void {
  pending.delete(keyOf(record.teamId, record.id));
}

/** The write went to the queue: keep serving the record here for a while. */
export function queued(record: NewStoredCompletion): void {
  const entry = pending.get(keyOf(record.teamId, record.id));
  if (entry) entry.until = Date.now() + QUEUED_HOLD_MS;
}

export function forgetPending(teamId: string, id: string): void {
  pending.delete(keyOf(teamId, id));
}

/** Deleted before its write landed (the tombstone in D1 stops the write; this stops the memory). */
export function deletedWhilePending(teamId: string, id: string): void {
  remember(keyOf(teamId, id), { record: null, until: Date.now() + FRESH_ID_MS, deleted: true });
}

function entryOf(teamId: string, id: string): Pending | null {
  const key = keyOf(teamId, id);
  const entry = pending.get(key);
  if (!entry) return null;
  if (entry.until <= Date.now()) {
    pending.delete(key);
    return null;
  }
  return entry.deleted ? null : entry;
}

/** True while this isolate has a write of the team's `id` in flight (or queued). */
export const isPending = (teamId: string, id: string) => entryOf(teamId, id) !== null;

/** The team's record of `id` whose write has not landed yet, if this isolate made it and it is built. */
export const pendingRecord = (teamId: string, id: string) => entryOf(teamId, id)?.record ?? null;

/** Forgets every pending record: what another isolate knows. For tests. */
export function clearPending(): void {
  pending.clear();
}

/**
 * True for an id the gateway minted recently enough that its write may not have landed yet. Its
 * MAC (keyed by `secret`) must check: a guessed id that only looks fresh is a 404 at once.
 */
async function isFreshId(id: string, secret: string, now = Date.now()): Promise<boolean> {
  const at = mintedAt(id);
  return at !== null && at >= now - FRESH_ID_MS && at <= now + 1_000 && (await carriesMac(id, secret));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `read()`, and if it finds nothing for an id that may still be landing, again with backoff until
 * it does or LANDING_WAIT_MS have passed. `gone()` (a tombstone) ends the wait at once.
 */
export async function readAfterWrite<T>(
  teamId: string,
  id: string,
  idSecret: string,
  read: () => Promise<T | null>,
  gone?: () => Promise<boolean>,
): Promise<T | null> {
  const first = await read();
  if (first !== null) return first;
  if (!isPending(teamId, id) && !(await isFreshId(id, idSecret))) return null;
  const deadline = Date.now() + LANDING_WAIT_MS;
  for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
    if (gone && (await gone())) return null;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    const found = await read();
    if (found !== null) return found;
  }
  return null;
}
