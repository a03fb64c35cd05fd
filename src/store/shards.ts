import { eq } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import { teamStore as teamStoreTable } from "../db/schema";

// Teams over D1 shards. `DB` is the control database (teams, keys, the shard map) and shard 0;
// `DB_SHARD_1`, `DB_SHARD_2`… are the further shards. A team's rows (completions, metadata,
// usage…) live in its shard only, and every query about the team goes there.

/** A team's place in the store: its shard's database and its integer id there (and in R2 keys). */
export interface TeamStore {
  teamId: string;
  /** The team's integer id: names it in the shard's store tables and in R2 keys (t/{tid}/…). */
  tid: number;
  shard: number;
  d1: D1Database;
  db: Db;
}

/** A shard within this slack of the least loaded one still counts as least loaded, lowest number first: D1 sizes move by pages, a team's data by far more. */
export const SHARD_BALANCE_SLACK_BYTES = 64 * 1024 * 1024;

/** The shards' databases, in shard order: DB, then DB_SHARD_1, DB_SHARD_2… up to the first gap. */
export function shardDatabases(env: Env): D1Database[] {
  const shards = [env.DB];
  for (let n = 1; ; n++) {
    // Shards are numbered bindings; Env names only those wrangler.toml declares today.
    const d1 = (env as unknown as Record<string, D1Database | undefined>)[`DB_SHARD_${n}`];
    if (!d1) return shards;
    shards.push(d1);
  }
}

function shardDatabase(env: Env, shard: number): D1Database {
  const d1 = shardDatabases(env)[shard];
  // A shard map naming a binding that is gone is a deployment error, never a reason to read elsewhere.
  if (!d1) throw new Error(`store shard ${shard} has no binding (DB_SHARD_${shard})`);
  return d1;
}

const dbs = new WeakMap<D1Database, Db>();
/** The Drizzle client of a D1 binding, one per isolate. */
export function dbOf(d1: D1Database): Db {
  let db = dbs.get(d1);
  if (!db) dbs.set(d1, (db = createDb(d1)));
  return db;
}

// A team's shard never changes, so its place is cached for the isolate's life (the binding itself is
// looked up on each call: tests and faults swap bindings).
const places = new Map<string, { tid: number; shard: number }>();
const MAX_PLACES = 50_000;

/** Caches a team's place (the key lookup and team creation know it already). */
export function rememberPlace(teamId: string, tid: number, shard: number): void {
  if (places.size >= MAX_PLACES) places.delete(places.keys().next().value!);
  places.set(teamId, { tid, shard });
}

/** The team's store (its shard and integer id), or null for a team the shard map does not know. */
export async function teamStore(env: Env, teamId: string): Promise<TeamStore | null> {
  let place = places.get(teamId);
  if (!place) {
    const row = await dbOf(env.DB).select().from(teamStoreTable).where(eq(teamStoreTable.teamId, teamId)).get();
    if (!row) return null;
    rememberPlace(teamId, row.storeId, row.shard);
    place = { tid: row.storeId, shard: row.shard };
  }
  const d1 = shardDatabase(env, place.shard);
  return { teamId, tid: place.tid, shard: place.shard, d1, db: dbOf(d1) };
}

/** Like teamStore, for a team that must exist (its data is being written or read by a caller that knows it). */
export async function requireTeamStore(env: Env, teamId: string): Promise<TeamStore> {
  const store = await teamStore(env, teamId);
  if (!store) throw new Error(`team ${teamId} is not in the store's shard map`);
  return store;
}

/** The shard for a new team: the least loaded by stored bytes (D1 reports its size with every result). */
export async function pickShard(env: Env): Promise<number> {
  const sizes = await Promise.all(shardDatabases(env).map(async (d1) => (await d1.prepare("select 1").run()).meta.size_after ?? 0));
  const least = Math.min(...sizes);
  return sizes.findIndex((size) => size <= least + SHARD_BALANCE_SLACK_BYTES);
}

/**
 * The shards to read for some teams (null: every team), each with its database and the teams to
 * read there (null: all of its teams). A team the shard map does not know is read nowhere.
 */
export async function shardsOfTeams(env: Env, teamIds: string[] | null): Promise<{ db: Db; teamIds: string[] | null }[]> {
  const databases = shardDatabases(env);
  if (teamIds === null) return databases.map((d1) => ({ db: dbOf(d1), teamIds: null }));
  const byShard = new Map<number, string[]>();
  for (const teamId of teamIds) {
    const store = await teamStore(env, teamId);
    if (store) byShard.set(store.shard, [...(byShard.get(store.shard) ?? []), teamId]);
  }
  return [...byShard].map(([shard, ids]) => ({ db: dbOf(databases[shard]), teamIds: ids }));
}

/** Forgets every cached place: what a fresh isolate knows. For tests. */
export function clearPlaces(): void {
  places.clear();
}
