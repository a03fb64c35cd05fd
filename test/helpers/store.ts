import { env } from "cloudflare:test";
import { compactId } from "../../src/ids";
import type { CompletionObject } from "../../src/completion-store/conversation";
import { BodyStore, bodyKey } from "../../src/store/bodies";
import { shardDatabases } from "../../src/store/shards";

// What the store holds, read straight from every shard's index tables.

async function sumOver(sql: (marks: string) => string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  let total = 0;
  for (const d1 of shardDatabases(env)) {
    for (let i = 0; i < ids.length; i += 90) {
      const group = ids.slice(i, i + 90).map(compactId);
      total += (await d1.prepare(sql(group.map(() => "?").join(", "))).bind(...group).first<number>("n")) ?? 0;
    }
  }
  return total;
}

/** Index rows of these completion ids, in every shard. */
export const indexCount = (ids: string[]) => sumOver((marks) => `select count(*) as n from completion_index where id in (${marks})`, ids);
/** Metadata filter rows of these completion ids. */
export const filterCount = (ids: string[]) => sumOver((marks) => `select count(*) as n from completion_filters where id in (${marks})`, ids);
/** Input messages the index says these completions have. */
export const messageCount = (ids: string[]) => sumOver((marks) => `select coalesce(sum(msgs), 0) as n from completion_index where id in (${marks})`, ids);

/** A completion's metadata filter rows, as { key, value }. */
export async function filterPairs(id: string): Promise<{ key: string; value: string }[]> {
  const pairs: { key: string; value: string }[] = [];
  for (const d1 of shardDatabases(env)) {
    pairs.push(...(await d1.prepare("select k as key, v as value from completion_filters where id = ? order by k").bind(compactId(id)).all<{ key: string; value: string }>()).results);
  }
  return pairs;
}

/** A team's integer store id, which names it in its shard's store tables and R2 keys. */
export async function tidOf(teamId: string): Promise<number> {
  return (await env.DB.prepare("select store_id from team_store where team_id = ?").bind(teamId).first<number>("store_id"))!;
}

/** Every R2 key under a prefix. */
export async function r2Keys(prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const listed = await env.BODIES.list({ prefix, cursor });
    keys.push(...listed.objects.map((o) => o.key));
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
  return keys;
}

const DAY_MS = 24 * 3_600_000;

/**
 * Makes completions look minted `days` days ago: their index rows' time, and their R2 objects (the
 * completion and its message segments) copied under that day's prefix, where the store looks for them.
 */
export async function age(ids: string[], days: number): Promise<void> {
  const bodies = new BodyStore(env.BODIES);
  const at = Date.now() - days * DAY_MS;
  for (const d1 of shardDatabases(env)) {
    for (const id of ids.map(compactId)) {
      const row = await d1.prepare("select tid, at, loc from completion_index where id = ?").bind(id).first<{ tid: number; at: number; loc: number }>();
      if (!row) continue;
      if (row.loc === 1) {
        const object = await bodies.getJson<CompletionObject>(bodyKey(row.tid, row.at, "c", id));
        for (const name of object!.segs) await bodies.putJson(bodyKey(row.tid, at, "m", name), await bodies.getJson(bodyKey(row.tid, row.at, "m", name)));
        await bodies.putJson(bodyKey(row.tid, at, "c", id), object);
      }
      await d1.prepare("update completion_index set at = ? where tid = ? and id = ?").bind(at, row.tid, id).run();
    }
  }
}

/** What a stored completion keeps for tracing: the upstream's own id (in its R2 object) and the upstream's name (in its index row). */
export async function storedTrace(id: string): Promise<{ upstream_id: string | null; upstream: string | null } | null> {
  for (const d1 of shardDatabases(env)) {
    const row = await d1.prepare("select tid, at, up from completion_index where id = ?").bind(compactId(id)).first<{ tid: number; at: number; up: string | null }>();
    if (!row) continue;
    const object = await new BodyStore(env.BODIES).getJson<CompletionObject>(bodyKey(row.tid, row.at, "c", compactId(id)));
    return { upstream_id: object?.upstreamId ?? null, upstream: row.up };
  }
  return null;
}

/** How many stored completion objects, of any team, keep `upstreamId` as the upstream's id. */
export async function storedWithUpstreamId(upstreamId: string): Promise<number> {
  const bodies = new BodyStore(env.BODIES);
  let n = 0;
  for (const key of (await r2Keys("t/")).filter((k) => k.includes("/c/"))) if ((await bodies.getJson<CompletionObject>(key))?.upstreamId === upstreamId) n++;
  return n;
}
