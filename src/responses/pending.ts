import type { Item, StoredResponse } from "./types";

// Responses this isolate made whose write has not landed yet: a previous_response_id sent right
// after the answer finds the record here. Other isolates wait for the write (readAfterWrite).

const MAX_PENDING = 2_000;
/** A record is kept this long at most: its write lands (or is queued) well within it. */
const HOLD_MS = 5 * 60_000;

/** `queued`: the write went to the queue, so the record may be held for minutes, and another isolate may delete it meanwhile. */
const pending = new Map<string, { record: StoredResponse | null; until: number; queued: boolean }>();
const keyOf = (teamId: string, id: string) => `${teamId}\n${id}`;

export function holdPending(teamId: string, record: StoredResponse): void {
  const key = keyOf(teamId, record.response.id);
  if (pending.size >= MAX_PENDING && !pending.has(key)) {
    const oldest = pending.keys().next().value;
    if (oldest !== undefined) pending.delete(oldest);
  }
  pending.set(key, { record, until: Date.now() + HOLD_MS, queued: false });
}

/** The write of a held record went to the queue. */
export function markPendingQueued(teamId: string, id: string): void {
  const entry = pending.get(keyOf(teamId, id));
  if (entry) entry.queued = true;
}

export function pendingResponse(teamId: string, id: string): { record: StoredResponse; queued: boolean } | null {
  const key = keyOf(teamId, id);
  const entry = pending.get(key);
  if (!entry?.record) return null;
  if (entry.until <= Date.now()) {
    pending.delete(key);
    return null;
  }
  return { record: entry.record, queued: entry.queued };
}

export function forgetPendingResponse(teamId: string, id: string): void {
  pending.delete(keyOf(teamId, id));
}

/** Forgets every pending record: what another isolate knows. For tests. */
export function clearPendingResponses(): void {
  pending.clear();
  appending.clear();
}

// A streamed turn's items are appended to its conversation after the final event has gone out; the
// client may send the next turn at once. Until the append lands, this isolate adds them to what the
// conversation holds (data, never a promise another request would wait on).
const appending = new Map<string, { items: Item[]; until: number }[]>();

/** A turn's items are on their way into the conversation. */
export function holdAppend(teamId: string, conversationId: string, items: Item[]): () => void {
  const key = keyOf(teamId, conversationId);
  const now = Date.now();
  const entry = { items, until: now + HOLD_MS };
  // What has outlived its hold goes first, so that a long conversation's list stays short.
  const list = (appending.get(key) ?? []).filter((held) => held.until > now);
  if (!appending.has(key)) {
    if (appending.size >= MAX_PENDING) {
      const oldest = appending.keys().next().value;
      if (oldest !== undefined) appending.delete(oldest);
    }
  }
  appending.set(key, list);
  list.push(entry);
  return () => {
    const held = appending.get(key);
    if (!held) return;
    const rest = held.filter((other) => other !== entry);
    if (rest.length > 0) appending.set(key, rest);
    else appending.delete(key);
  };
}

/** The conversation's stored items followed by those on their way that are not among them yet. */
export function withPendingItems(teamId: string, conversationId: string, stored: Item[]): Item[] {
  const held = appending.get(keyOf(teamId, conversationId))?.filter((entry) => entry.until > Date.now());
  if (!held || held.length === 0) return stored;
  const ids = new Set(stored.map((item) => item.id));
  const out = [...stored];
  for (const entry of held) for (const item of entry.items) if (!ids.has(item.id)) out.push(item), ids.add(item.id);
  return out;
}
