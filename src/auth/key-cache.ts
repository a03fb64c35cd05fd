import type { AuthenticatedKey } from "../app";

// Verified keys are cached in the isolate's memory so that most requests cost no D1 round trip.
// An entry lives at most `ttlMs` (capped at 60 s), which bounds how long a revoked key still works.
// Unknown keys are cached too (briefly), so a flood of bad keys cannot hammer D1.

interface Entry {
  key: AuthenticatedKey | null;
  /** When the cached answer stops being trusted. */
  until: number;
}

const MAX_ENTRIES = 10_000;
const entries = new Map<string, Entry>();

export function getCachedKey(keyHash: string, now = Date.now()): Entry | undefined {
  const entry = entries.get(keyHash);
  if (entry && entry.until <= now) {
    entries.delete(keyHash);
    return undefined;
  }
  return entry;
}

export function cacheKey(keyHash: string, key: AuthenticatedKey | null, until: number): void {
  if (entries.size >= MAX_ENTRIES) {
    // Map keeps insertion order: drop the oldest entry.
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  entries.set(keyHash, { key, until });
}

export function forgetKey(keyHash: string): void {
  entries.delete(keyHash);
}

export function clearKeyCache(): void {
  entries.clear();
}
