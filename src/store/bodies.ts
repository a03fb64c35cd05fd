// Bodies in R2, under one prefix per team and day: t/{tid}/{yyyy-mm-dd}/{kind}/{name}. Retention
// deletes whole expired day prefixes and team deletion the team's prefix; R2 deletes are free,
// where every D1 row deleted is billed. Objects of GZIP_FROM bytes or more are gzip JSON
// (CompressionStream): text bodies shrink 3-10x, and R2 bills stored bytes. Smaller ones are plain
// JSON: they shrink little, and a compression stream each way costs more CPU than they would save.

export const DAY_MS = 86_400_000;
/** R2 deletes at most 1,000 keys per call, and lists at most 1,000 per page. */
const R2_PAGE = 1_000;
/** Where a day sweep that ran out of pages notes the last team it finished (outside every team's prefix). */
const SWEEP_CURSOR = "sweep/cursor";
/** Objects from this size (JSON text length) up are stored gzip. */
const GZIP_FROM = 1_024;

/** The start (ms) of the UTC day of a time (ms). */
export const dayStartOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** The UTC day of a time (ms), as the key names it. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The prefix of everything of one team. */
export const teamPrefix = (tid: number) => `t/${tid}/`;

/** The key of a body: `kind` groups objects ("c" a completion, "m" a message segment…), `name` is unique within the day. */
export function bodyKey(tid: number, atMs: number, kind: string, name: string): string {
  return `${teamPrefix(tid)}${dayOf(atMs)}/${kind}/${name}`;
}

async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

async function gunzip(body: ReadableStream): Promise<string> {
  return new Response(body.pipeThrough(new DecompressionStream("gzip"))).text();
}

export class BodyStore {
  constructor(private readonly bucket: R2Bucket) {}

  /** Writes `value` as gzip JSON (one PUT); returns the bytes stored. Writing the same key again replaces it (retries are safe). */
  async putJson(key: string, value: unknown): Promise<number> {
    return this.putText(key, JSON.stringify(value));
  }

  /** Writes JSON text already serialised (one PUT); returns the bytes stored. */
  async putText(key: string, json: string): Promise<number> {
    return (await this.putTextIf(key, json, null)) ?? 0;
  }

  /** Like putText, only if the object's etag is still `etag` (null: unconditional); returns null if it changed meanwhile. */
  async putTextIf(key: string, json: string, etag: string | null): Promise<number | null> {
    const small = json.length < GZIP_FROM;
    const data = small ? new TextEncoder().encode(json) : await gzip(json);
    const httpMetadata = small ? { contentType: "application/json" } : { contentType: "application/json", contentEncoding: "gzip" };
    const put = await this.bucket.put(key, data, etag === null ? { httpMetadata } : { httpMetadata, onlyIf: { etagMatches: etag } });
    return put === null ? null : data.byteLength;
  }

  /** The JSON at `key`, or null if there is none (one GET). */
  async getJson<T>(key: string): Promise<T | null> {
    return (await this.getTagged<T>(key))?.value ?? null;
  }

  /** The JSON at `key` with its etag, for a conditional rewrite (one GET). */
  async getTagged<T>(key: string): Promise<{ value: T; etag: string } | null> {
    const object = await this.bucket.get(key);
    if (!object) return null;
    // Told apart by gzip's magic bytes (JSON never starts with 0x1f), not by metadata a writer may have left out.
    const data = new Uint8Array(await object.arrayBuffer());
    const text = data[0] !== 0x1f || data[1] !== 0x8b ? new TextDecoder().decode(data) : await gunzip(new Blob([data]).stream());
    return { value: JSON.parse(text) as T, etag: object.etag };
  }

  /** Several keys, read in parallel (one GET each); a missing key gives null. */
  getMany<T>(keys: string[]): Promise<(T | null)[]> {
    return Promise.all(keys.map((key) => this.getJson<T>(key)));
  }

  /** Deletes keys, 1,000 per call. */
  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += R2_PAGE) await this.bucket.delete(keys.slice(i, i + R2_PAGE));
  }

  /** Deletes up to `maxPages` pages of 1,000 keys under `prefix`; returns true once nothing is left. */
  async deletePrefix(prefix: string, maxPages: number): Promise<boolean> {
    for (let page = 0; page < maxPages; page++) {
      const listed = await this.bucket.list({ prefix, limit: R2_PAGE });
      if (listed.objects.length > 0) await this.bucket.delete(listed.objects.map((o) => o.key));
      if (!listed.truncated) return true;
    }
    return false;
  }

  /** Deletes a team's prefix, bounded; true once it is empty. */
  deleteTeam(tid: number, maxPages: number): Promise<boolean> {
    return this.deletePrefix(teamPrefix(tid), maxPages);
  }

  /**
   * Deletes the day prefixes that ended before `cutoffMs`, of every team, up to `maxPages` R2 list
   * calls in all (finding the teams and their days counts too). A day is deleted only once all of it
   * has expired, so that nothing a kept record references (bodies refer only to their own day) ever
   * goes. A sweep that runs out of pages leaves a cursor (the last team it finished) for the next
   * run, so that every team is reached however many there are. Returns the keys deleted.
   */
  async deleteExpiredDays(cutoffMs: number, maxPages: number): Promise<number> {
    // A day prefix is expired when the day after it starts at or before the cutoff.
    const lastExpiredDay = dayOf(dayStartOf(cutoffMs) - DAY_MS);
    let pages = maxPages;
    let deleted = 0;
    let after = (await (await this.bucket.get(SWEEP_CURSOR))?.text()) ?? undefined;
    for (;;) {
      if (pages-- <= 0) return this.leaveCursor(after, deleted);
      // Past every key of the last team finished ("~" sorts after every character a key under it uses).
      const teams = await this.bucket.list({ prefix: "t/", delimiter: "/", startAfter: after === undefined ? undefined : `${after}~`, limit: R2_PAGE });
      for (const teamDir of teams.delimitedPrefixes) {
        if (pages-- <= 0) return this.leaveCursor(after, deleted);
        const days = await this.bucket.list({ prefix: teamDir, delimiter: "/", limit: R2_PAGE });
        for (const dayDir of days.delimitedPrefixes) {
          if (dayDir.slice(teamDir.length, -1) > lastExpiredDay) break;
          for (;;) {
            if (pages-- <= 0) return this.leaveCursor(after, deleted);
            const listed = await this.bucket.list({ prefix: dayDir, limit: R2_PAGE });
            if (listed.objects.length > 0) await this.bucket.delete(listed.objects.map((o) => o.key));
            deleted += listed.objects.length;
            if (!listed.truncated) break;
          }
        }
        after = teamDir;
      }
      if (!teams.truncated) {
        // Every team reached: the next sweep starts from the first again.
        await this.bucket.delete(SWEEP_CURSOR);
        return deleted;
      }
    }
  }

  private async leaveCursor(after: string | undefined, deleted: number): Promise<number> {
    if (after !== undefined) await this.bucket.put(SWEEP_CURSOR, after);
    return deleted;
  }
}

const stores = new WeakMap<R2Bucket, BodyStore>();
/** The body store of an R2 binding, one per isolate. */
export function bodyStore(bucket: R2Bucket): BodyStore {
  let store = stores.get(bucket);
  if (!store) stores.set(bucket, (store = new BodyStore(bucket)));
  return store;
}
