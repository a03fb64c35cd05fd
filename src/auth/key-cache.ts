import { hashApiKey } from "./keys";
import type { AuthenticatedKey } from "../http/types";

// Verified keys are cached in the isolate's memory so that most requests cost no D1 round trip.
// An entry lives at most `ttlMs` (capped at 60 s), which bounds how long a revoked key still works.
// Unknown keys are remembered apart, in a smaller map, so that a flood of well-formed but wrong
// keys neither reaches D1 twice nor pushes the live keys out.

interface Entry<T> {
  value: T;
  /** When the cached answer stops being trusted. */
  until: number;
}

/** A small least-recently-used map whose entries expire. */
class ExpiringLru<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(private readonly capacity: number) {}

  get(key: string, now: number): Entry<T> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.until <= now) return undefined;
    this.entries.set(key, entry); // Map keeps insertion order: re-inserting marks it most recent.
    return entry;
  }

  set(key: string, value: T, until: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, until });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

const liveKeys = new ExpiringLru<AuthenticatedKey>(10_000);
const unknownKeys = new ExpiringLru<null>(2_000);
const tokenHashes = new ExpiringLru<string>(12_000);

/**
 * A token's SHA-256, remembered per token: hashing costs about 50 µs of CPU, which was a tenth of a
 * proxied request's. Tokens stay only in this isolate's memory, as the request that carried them does.
 */
export async function hashOfToken(token: string): Promise<string> {
  const known = tokenHashes.get(token, 0);
  if (known) return known.value;
  const hash = await hashApiKey(token);
  tokenHashes.set(token, hash, Infinity);
  return hash;
}

/** The cached answer for a key hash: the key, null for "no such live key", or undefined if not cached. */
export function getCachedKey(keyHash: string, now = Date.now()): AuthenticatedKey | null | undefined {
  const live = liveKeys.get(keyHash, now);
  if (live) return live.value;
  return unknownKeys.get(keyHash, now) ? null : undefined;
}

export function cacheKey(keyHash: string, key: AuthenticatedKey | null, until: number): void {
  if (key) liveKeys.set(keyHash, key, until);
  else unknownKeys.set(keyHash, null, until);
}

export function forgetKey(keyHash: string): void {
  liveKeys.delete(keyHash);
  unknownKeys.delete(keyHash);
}

export function clearKeyCache(): void {
  liveKeys.clear();
  unknownKeys.clear();
  tokenHashes.clear();
}
