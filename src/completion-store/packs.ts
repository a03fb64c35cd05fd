import { completionIndexOf, type PackableRow, type PackRow } from "../db/completion-index";
import type { StoredBody } from "../db/types";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { BackgroundMessage, PackCompletionsMessage, UnpackCompletionMessage } from "../queue/messages";
import { bodyStore, dayOf, type BodyStore } from "../store/bodies";
import { teamStore, type TeamStore } from "../store/shards";
import type { CompletionObject } from "./conversation";
import { completionKey, packKey } from "./keys";

// Packs: a list page would read one R2 object per completion, so runs of PACK_SIZE completions in
// list order get their answers copied into one object (t/{tid}/{day}/p/{first id}), and a page
// reads the few packs its rows are in. Each completion keeps its own object: get, messages and
// read-after-write never depend on a pack, and a row a pack does not hold is read on its own.
// A list that read settled rows one by one asks for packing; a queue message packs a team's runs.
// A deleted completion's answer is taken out of its pack (a conditional rewrite), and a pack goes
// with its R2 day, so it never outlives the completions it copies.

/** Completions per pack: a page of the largest list limit is one or two packs. */
export const PACK_SIZE = 100;
/** Only rows stored this long ago are packed: a queued write still landing rarely falls behind a pack. */
export const PACK_SETTLE_MS = 60_000;
/** A run that is not full is packed once the team has stored nothing newer for this long (a small or quiet team). */
export const PACK_IDLE_MS = 10 * 60_000;
/** Packs written per queue delivery: each reads PACK_SIZE objects (subrequests, 1,000 per invocation), then the message sends itself again. */
export const PACKS_PER_MESSAGE = 4;
/** An isolate asks for a team's packing at most this often. */
const ASK_EVERY_MS = 30_000;
/** Conditional rewrites of a pack tried before giving up (each loses only to another rewrite). */
const REWRITE_TRIES = 5;

export interface PackObject {
  v: 1;
  /** Each completion's answer by its compact id. */
  bodies: Record<string, StoredBody>;
}


/**
 * The next run to pack from `rows` (up to PACK_SIZE rows after the team's last pack, in list order):
 * rows of one R2 day, all settled. A run is packed when it is full, when the day changed after it
 * (nothing can join it any more), or when it is all the team has and the newest is PACK_IDLE_MS
 * old; otherwise null, to wait for more.
 */
export function nextRun(rows: PackableRow[], now: number): PackableRow[] | null {
  if (rows.length === 0) return null;
  const day = dayOf(rows[0].at);
  const run: PackableRow[] = [];
  for (const row of rows) {
    if (row.at >= now - PACK_SETTLE_MS) return null;
    if (dayOf(row.at) !== day) return run;
    run.push(row);
    if (run.length === PACK_SIZE) return run;
  }
  return Math.max(...run.map((row) => row.at)) < now - PACK_IDLE_MS ? run : null;
}

/**
 * Packs up to `maxPacks` runs of a team; returns how many it wrote and whether more may be ready.
 * A run's range is claimed in D1 first, so two packers never write overlapping packs (the one that
 * loses stops); a pack claimed but not finished (its packer failed) is finished by the next one.
 */
export async function packTeam(env: Env, teamId: string, { now = Date.now(), maxPacks = PACKS_PER_MESSAGE } = {}): Promise<{ packs: number; more: boolean }> {
  const store = await teamStore(env, teamId);
  if (!store) return { packs: 0, more: false };
  const index = completionIndexOf(store.db);
  const bodies = bodyStore(env.BODIES);
  for (let packs = 0; packs < maxPacks; packs++) {
    const last = await index.lastPack(store.tid);
    if (last && !last.ready) {
      await fillPack(store, bodies, last, await index.rowsOfPack(last));
      continue;
    }
    const run = nextRun(await index.packable(store.tid, last, PACK_SIZE), now);
    if (!run) return { packs, more: false };
    const [first, end] = [run[0], run[run.length - 1]];
    const pack = { tid: store.tid, created: first.created, id: first.id, lastCreated: end.created, lastId: end.id, at: first.at };
    if (!(await index.claimPack(teamId, pack))) return { packs, more: false };
    await fillPack(store, bodies, { ...pack, n: 0, ready: 0 }, run);
  }
  return { packs: maxPacks, more: true };
}

/**
 * Writes a claimed pack's object from its rows, then checks it against the index: a completion
 * deleted while it was written found no object to take its answer out of, so it goes now. Only
 * then is the pack ready. Idempotent: a pack finished twice holds the same.
 */
async function fillPack(store: TeamStore, bodies: BodyStore, pack: PackRow, rows: PackableRow[]): Promise<void> {
  const { tid } = store;
  const index = completionIndexOf(store.db);
  const inR2 = rows.filter((row) => row.loc === 1);
  const objects = await bodies.getMany<CompletionObject>(inR2.map((row) => completionKey(tid, row)));
  const object: PackObject = { v: 1, bodies: {} };
  // A row whose object is gone (deleted meanwhile, or an orphan) is left out: it is read on its own.
  inR2.forEach((row, i) => {
    const body = objects[i]?.body;
    if (body) object.bodies[row.id] = body;
  });
  const key = packKey(tid, pack.at, pack.id);
  const ids = Object.keys(object.bodies);
  await bodies.putText(key, JSON.stringify(object));
  const present = await index.presentIds(tid, ids);
  if (present.size === 0) {
    // Nothing left to copy (every one deleted, or the team purged): neither the object nor its row stays.
    await bodies.delete([key]);
    await index.deletePack(pack);
    return;
  }
  const gone = ids.filter((id) => !present.has(id));
  if (gone.length > 0) await removeFromPack(bodies, key, gone);
  await index.finishPack(pack, present.size);
}

/** Takes completions' answers out of a pack, by a conditional rewrite (another rewrite may race it). */
async function removeFromPack(bodies: BodyStore, key: string, ids: string[]): Promise<void> {
  for (let attempt = 0; attempt < REWRITE_TRIES; attempt++) {
    const current = await bodies.getTagged<PackObject>(key);
    if (!current || !ids.some((id) => id in current.value.bodies)) return;
    for (const id of ids) delete current.value.bodies[id];
    if ((await bodies.putTextIf(key, JSON.stringify(current.value), current.etag)) !== null) return;
  }
  throw new Error(`pack ${key} kept changing: ${ids.length} answers not taken out`);
}

/** Takes a deleted completion's answer out of the pack that holds it, if any. */
async function unpack(env: Env, store: TeamStore, row: Pick<PackableRow, "created" | "id">): Promise<void> {
  const pack = await completionIndexOf(store.db).packHolding(store.tid, row.created, row.id);
  if (pack) await removeFromPack(bodyStore(env.BODIES), packKey(store.tid, pack.at, pack.id), [row.id]);
}

/** After a completion's index row is deleted: its answer leaves its pack now, or through the queue, which retries. */
export async function unpackDeleted(env: Env, store: TeamStore, row: Pick<PackableRow, "created" | "id">): Promise<void> {
  try {
    await unpack(env, store, row);
  } catch (err) {
    const message: BackgroundMessage = { kind: "store.unpack", teamId: store.teamId, created: row.created, id: row.id };
    logEvent("warn", "unpack_queued", { team_id: store.teamId, completion_id: row.id, error: describeError(err) });
    // The completion is deleted either way: a copy the queue cannot take either is logged, to be taken out by hand.
    await env.BACKGROUND_QUEUE.send(message, { contentType: "json" }).catch((sendErr) => logEvent("error", "unpack_not_queued", { ...message, error: describeError(sendErr) }));
  }
}

const asked = new Map<string, number>();
const MAX_ASKED = 10_000;

/** Sends the team's packing job, at most once per ASK_EVERY_MS from this isolate. */
export async function askForPacking(env: Env, teamId: string, now = Date.now()): Promise<void> {
  const last = asked.get(teamId);
  if (last !== undefined && now - last < ASK_EVERY_MS) return;
  if (asked.size >= MAX_ASKED) asked.delete(asked.keys().next().value!);
  asked.set(teamId, now);
  await env.BACKGROUND_QUEUE.send({ kind: "store.pack", teamId } satisfies BackgroundMessage, { contentType: "json" });
}

/** Forgets which teams this isolate asked about. For tests. */
export function forgetPackingAsks(): void {
  asked.clear();
}

/** What one queue delivery may still spend on packing: its R2 reads count against the invocation's subrequests. */
export interface PackingBudget {
  packs: number;
  /** Teams this delivery has packed already: a second message for one of them has nothing to add. */
  teams: Set<string>;
}

/** A fresh budget for one queue delivery (a batch of messages runs as one invocation). */
export const packingBudget = (): PackingBudget => ({ packs: PACKS_PER_MESSAGE, teams: new Set() });

export async function handlePackMessage(message: Message<PackCompletionsMessage | UnpackCompletionMessage>, env: Env, budget: PackingBudget): Promise<void> {
  const body = message.body;
  await runQueueJob(
    [message],
    async () => {
      if (body.kind === "store.unpack") {
        const store = await teamStore(env, body.teamId);
        if (store) await unpack(env, store, body);
        return;
      }
      if (budget.teams.has(body.teamId)) return;
      budget.teams.add(body.teamId);
      // Spent by an earlier message of this delivery: sent again, to run in a delivery of its own.
      const { packs, more } = budget.packs > 0 ? await packTeam(env, body.teamId, { maxPacks: budget.packs }) : { packs: 0, more: true };
      budget.packs -= packs;
      if (more) await env.BACKGROUND_QUEUE.send(body, { contentType: "json" });
    },
    (err) => logEvent("warn", "pack_retry", { kind: body.kind, team_id: body.teamId, attempts: message.attempts, error: describeError(err) }),
  );
}
