import type { StoredResponse } from "./types";

// Responses this isolate made whose write has not landed yet: a previous_response_id sent right
// after the answer finds the record here. Other isolates wait for the write (readAfterWrite).

const MAX_PENDING = 2_000;
/** A record is kept this long at most: its write lands (or is queued) well within it. */
const HOLD_MS = 5 * 60_000;

const pending = new Map<string, { record: StoredResponse | null; until: number }>();
const keyOf = (teamId: string, id: string) => `${teamId}\n${id}`;

export function holdPending(teamId: string, record: StoredResponse): void {
  const key = keyOf(teamId, record.response.id);
  if (pending.size >= MAX_PENDING && !pending.has(key)) {
    const oldest = pending.keys().next().value;
    if (oldest !== undefined) pending.delete(oldest);
  }
  pending.set(key, { record, until: Date.now() + HOLD_MS });
}

export function pendingResponse(teamId: string, id: string): StoredResponse | null {
  const key = keyOf(teamId, id);
  const entry = pending.get(key);
  if (!entry) return null;
  if (entry.until <= Date.now()) {
    pending.delete(key);
    return null;
  }
  return entry.record;
}

export function forgetPendingResponse(teamId: string, id: string): void {
  pending.delete(keyOf(teamId, id));
}

/** Forgets every pending record: what another isolate knows. For tests. */
export function clearPendingResponses(): void {
  pending.clear();
}
