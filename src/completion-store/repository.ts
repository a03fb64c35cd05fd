import { completionIndexOf, type IndexRow, type ListedRow } from "../db/completion-index";
import type { ListCompletionsQuery, Metadata, NewStoredCompletion, Order, Page, StoredBody, StoredCompletion } from "../db/completions";
import { readLegacy } from "../db/legacy-completions";
import { compactId, fullId } from "../ids";
import { describeError, logEvent } from "../log";
import { bodyStore, DAY_MS, dayStartOf, type BodyStore } from "../store/bodies";
import { teamStore, type TeamStore } from "../store/shards";
import { chainHashes, type CompletionObject, convOf, layoutMessages, messagesAt, segmentsOf } from "./conversation";
import { completionKey, packKeyOf, segmentKey } from "./keys";
import { askForPacking, PACK_SETTLE_MS, type PackObject, unpackDeleted } from "./packs";
import { type Layout, recentLayout, rememberLayout } from "./recent-layouts";

// Stored completions: the index in the team's D1 shard, the bodies in R2 (t/{tid}/{day}/c/{id},
// with their messages in the day's segments, t/{tid}/{day}/m/{sha256}). A write puts the body
// before the index row, so an index row never points at a missing body; a body whose index write
// failed for good is an orphan that retention's day delete removes.
// Reads: get = one D1 row + one R2 read; list = the rows, then the packs they are in (packs.ts) and
// the bodies of rows no pack holds, in parallel; a page of messages = one D1 row + the completion
// object + at most MAX_SEGMENTS segments, in parallel.

/** How many of a request's prefixes are looked up for an earlier completion it extends (D1 binds at most 100 parameters). */
const PRIOR_LOOKUP = 60;
/** How many index pages one list reads to fill a page past rows whose bodies are gone; more while it has nothing to show. */
const MAX_LIST_ROUNDS = 4;
const MAX_EMPTY_LIST_ROUNDS = 40;

/** The key an id is indexed under; null for a form that is not the id itself (a minted id's bare suffix names nothing). */
function indexIdOf(id: string): string | null {
  const key = compactId(id);
  return fullId(key) === id ? key : null;
}
const metadataOf = (row: IndexRow): Metadata => (row.meta ? (JSON.parse(row.meta) as Metadata) : {});
/** A completion as the API shows it: its answer, and the rest from its index row. */
const completionOf = (row: IndexRow, body: StoredBody): StoredCompletion => ({ id: fullId(row.id), created: row.created, body, metadata: metadataOf(row), upstream: row.up });

export class CompletionStore {
  private readonly bodies: BodyStore;

  /** `background` keeps work going after the answer (the request's waitUntil); without it, lists ask for no packing. */
  constructor(
    private readonly env: Env,
    private readonly background?: (work: Promise<unknown>) => void,
  ) {
    this.bodies = bodyStore(env.BODIES);
  }

  /** Stores a completion: its R2 objects, then its index row. Idempotent; a no-op for a team the shard map no longer has. */
  async insert(record: NewStoredCompletion): Promise<void> {
    const store = await teamStore(this.env, record.teamId);
    if (!store) return;
    const { tid } = store;
    const { bytes, conv, segments } = await this.writeBody(store, record);
    const id = compactId(record.id);
    const outcome = await completionIndexOf(store.db).insert(record.teamId, record.id, {
      tid,
      id,
      created: record.created,
      model: record.model,
      meta: Object.keys(record.metadata).length > 0 ? JSON.stringify(record.metadata) : null,
      at: record.storedAt,
      conv,
      up: record.upstream,
      msgs: record.messages.length,
      bytes,
      loc: 1,
    });
    if (outcome === "indexed") return;
    // Deleted (or its team) while the write was on its way: its answer goes as a delete takes it, not
    // left for retention, which may keep a day forever. Its segments may serve the team's other
    // completions, unless the team is gone: then no write of it lands, and the purge may be past R2.
    const keys = [completionKey(tid, { at: record.storedAt, id })];
    if (outcome === "team deleted") keys.push(...segments.map((name) => segmentKey(tid, record.storedAt, name)));
    await this.bodies.delete(keys);
  }

  /** Writes a completion's R2 objects (its new messages' segment, then its completion object); returns the bytes and the hash the index keeps. */
  async writeBody(store: TeamStore, record: Pick<NewStoredCompletion, "id" | "storedAt" | "messages" | "body" | "upstreamId">): Promise<{ bytes: number; conv: number | null; segments: string[] }> {
    const { tid } = store;
    const id = compactId(record.id);
    const at = record.storedAt;
    const chain = await chainHashes(record.messages);
    const prior = await this.findPrior(store, id, at, chain);
    const layout = await layoutMessages(record.messages, prior);
    if (layout.segment) await this.bodies.putText(segmentKey(tid, at, layout.segment.name), layout.segment.text);
    const object: CompletionObject = { v: 1, body: record.body, upstreamId: record.upstreamId, chain: chain.at(-1) ?? "", segs: layout.segs, refs: layout.refs };
    const bytes = await this.bodies.putJson(completionKey(tid, { at, id }), object);
    if (object.chain) rememberLayout(tid, object.chain, at, object);
    return { bytes, conv: chain.length > 0 ? convOf(chain[chain.length - 1]) : null, segments: layout.segs };
  }

  /** The same day's completion of the team whose messages are the longest prefix of these, if any. */
  private async findPrior(store: TeamStore, id: string, at: number, chain: string[]): Promise<{ object: Layout; length: number } | null> {
    for (let k = chain.length; k >= 1 && k > chain.length - PRIOR_LOOKUP; k--) {
      const layout = recentLayout(store.tid, chain[k - 1], at);
      if (layout) return { object: layout, length: k };
    }
    const lengths = new Map<number, number>();
    for (let k = chain.length; k >= 1 && k > chain.length - PRIOR_LOOKUP; k--) if (!lengths.has(convOf(chain[k - 1]))) lengths.set(convOf(chain[k - 1]), k);
    if (lengths.size === 0) return null;
    const dayStart = dayStartOf(at);
    const found = (await completionIndexOf(store.db).latestByConv(store.tid, [...lengths.keys()], dayStart, dayStart + DAY_MS, id)).sort(
      (a, b) => lengths.get(b.conv)! - lengths.get(a.conv)!,
    );
    for (const row of found.slice(0, 2)) {
      const length = lengths.get(row.conv)!;
      // Found within this day, so its body is under this day's prefix.
      const object = await this.bodies.getJson<CompletionObject>(completionKey(store.tid, { at: dayStart, id: row.id }));
      // The 48-bit lookup is a hint; the whole chain hash says the messages are the same.
      if (object && object.chain === chain[length - 1]) return { object, length };
    }
    return null;
  }

  async exists(teamId: string, id: string): Promise<boolean> {
    const store = await teamStore(this.env, teamId);
    const key = indexIdOf(id);
    return store !== null && key !== null && (await completionIndexOf(store.db).get(store.tid, key)) !== null;
  }

  /** True if the team deleted this id (its tombstone is there). */
  async isDeleted(teamId: string, id: string): Promise<boolean> {
    const store = await teamStore(this.env, teamId);
    if (!store) return false;
    const row = await store.d1.prepare("select 1 from completion_tombstones where team_id = ? and completion_id = ?").bind(teamId, id).first();
    return row !== null;
  }

  async get(teamId: string, id: string): Promise<StoredCompletion | null> {
    const store = await teamStore(this.env, teamId);
    const key = indexIdOf(id);
    if (!store || key === null) return null;
    const row = await completionIndexOf(store.db).get(store.tid, key);
    return row ? this.hydrate(store, row) : null;
  }

  /**
   * A page of the team's completions. A row whose body is gone (an orphan, or a day that retention
   * deleted before its rows) is skipped, and the page is filled from the rows after it, so that a
   * client paging with `after` never gets an empty page that claims more.
   */
  async list(query: ListCompletionsQuery): Promise<Page<StoredCompletion>> {
    const store = await teamStore(this.env, query.teamId);
    if (!store) return { items: [], hasMore: false };
    const items: StoredCompletion[] = [];
    let after = query.after === undefined ? undefined : compactId(query.after);
    for (let round = 1; ; round++) {
      const wanted = query.limit - items.length;
      const rows = await completionIndexOf(store.db).list({ ...query, tid: store.tid, after, limit: wanted });
      const page = rows.slice(0, wanted);
      for (const item of await this.hydrateListed(store, page)) if (item) items.push(item);
      const hasMore = rows.length > wanted;
      // A page that claims more must show something, or a client paging with `after` would stop there.
      const enough = items.length >= query.limit || (round >= MAX_LIST_ROUNDS && items.length > 0) || round >= MAX_EMPTY_LIST_ROUNDS;
      if (!hasMore || enough) return { items, hasMore };
      after = page[page.length - 1].id;
    }
  }

  /** Replaces the metadata. Returns the updated completion, or null if there is none with that id. */
  async updateMetadata(teamId: string, id: string, metadata: Metadata): Promise<StoredCompletion | null> {
    const store = await teamStore(this.env, teamId);
    const key = indexIdOf(id);
    if (!store || key === null) return null;
    const row = await completionIndexOf(store.db).updateMetadata(store.tid, key, metadata);
    return row ? this.hydrate(store, row) : null;
  }

  /**
   * Deletes a completion and leaves a tombstone. Its R2 object goes too; its message segments may
   * be shared with the team's other completions of that day, and go with the day's prefix.
   */
  async delete(teamId: string, id: string): Promise<boolean> {
    const store = await teamStore(this.env, teamId);
    const key = indexIdOf(id);
    if (!store || key === null) return false;
    const row = await completionIndexOf(store.db).delete(teamId, id, store.tid, key);
    if (row?.loc === 1) {
      // Its copy in a pack is never shown once the row is gone: taken out after the answer when there is a waitUntil.
      const unpacking = unpackDeleted(this.env, store, row);
      if (this.background) this.background(unpacking);
      await Promise.all([this.bodies.delete([completionKey(store.tid, row)]), this.background ? undefined : unpacking]);
    }
    return row !== null;
  }

  /** A page of a completion's input messages, as `[index, message]`; null if the completion is not the team's. */
  async listMessages(teamId: string, id: string, page: { afterIndex?: number; limit: number; order: Order }): Promise<Page<[number, unknown]> | null> {
    const store = await teamStore(this.env, teamId);
    const key = indexIdOf(id);
    if (!store || key === null) return null;
    const row = await completionIndexOf(store.db).get(store.tid, key);
    if (!row) return null;
    const indices: number[] = [];
    if (page.order === "asc") for (let i = page.afterIndex === undefined ? 0 : page.afterIndex + 1; i < row.msgs && indices.length <= page.limit; i++) indices.push(i);
    else for (let i = page.afterIndex === undefined ? row.msgs - 1 : Math.min(page.afterIndex - 1, row.msgs - 1); i >= 0 && indices.length <= page.limit; i--) indices.push(i);
    const shown = indices.slice(0, page.limit);
    const messages = await this.messagesOf(store, row, fullId(row.id), shown);
    if (!messages) return null;
    return { items: shown.map((index, i): [number, unknown] => [index, messages[i]]), hasMore: indices.length > page.limit };
  }

  private async messagesOf(store: TeamStore, row: IndexRow, id: string, indices: number[]): Promise<unknown[] | null> {
    if (row.loc === 0) {
      const legacy = await readLegacy(store.db, store.teamId, id);
      return legacy ? indices.map((i) => JSON.parse(legacy.messages[i] ?? "null")) : null;
    }
    const object = await this.bodies.getJson<CompletionObject>(completionKey(store.tid, row));
    if (!object) return null;
    const names = segmentsOf(object, indices);
    const segments = await this.bodies.getMany<unknown[]>(names.map((name) => segmentKey(store.tid, row.at, name)));
    return messagesAt(object, indices, new Map(names.map((name, i) => [name, segments[i] ?? []])));
  }

  /**
   * A page's completions: the packs its rows are in, each read once, and (in parallel) the rows no
   * pack covers; a row its pack does not hold is read on its own after. Settled rows read on their
   * own ask for the team's packing.
   */
  private async hydrateListed(store: TeamStore, rows: ListedRow[]): Promise<(StoredCompletion | null)[]> {
    const packs = new Map<string, Promise<PackObject | null>>();
    for (const row of rows) if (row.pack !== null && row.loc === 1 && !packs.has(row.pack)) packs.set(row.pack, this.bodies.getJson<PackObject>(packKeyOf(store.tid, row.pack)).catch(() => null));
    let alone = 0;
    const settled = Date.now() - PACK_SETTLE_MS;
    const items = await Promise.all(
      rows.map(async (row) => {
        const pack = row.pack === null ? undefined : await packs.get(row.pack);
        const body = pack?.bodies[row.id];
        if (body !== undefined) return completionOf(row, body);
        // A row past the team's packs (not one a pack's range skipped) is what packing would take.
        if (row.pack === null && row.loc === 1 && row.at < settled) alone++;
        return this.hydrate(store, row);
      }),
    );
    if (alone > 0 && this.background) this.background(askForPacking(this.env, store.teamId).catch((err) => logEvent("warn", "pack_ask_failed", { team_id: store.teamId, error: describeError(err) })));
    return items;
  }

  private async hydrate(store: TeamStore, row: IndexRow): Promise<StoredCompletion | null> {
    const id = fullId(row.id);
    let body;
    if (row.loc === 0) body = (await readLegacy(store.db, store.teamId, id))?.body;
    else body = (await this.bodies.getJson<CompletionObject>(completionKey(store.tid, row)))?.body;
    // An index row is written after its body; none without one is shown.
    return body ? completionOf(row, body) : null;
  }
}

/** The completion store over the gateway's bindings (cheap: the shard map and clients are cached per isolate). */
export const completionStore = (env: Env, background?: (work: Promise<unknown>) => void) => new CompletionStore(env, background);
