import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../src/index";
import type { BackgroundMessage } from "../src/queue/messages";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { seedCompletions, seededCompletionId } from "../bench/seed.mjs";
import { packKey } from "../src/completion-store/keys";
import { forgetPackingAsks, nextRun, PACK_IDLE_MS, PACK_SETTLE_MS, PACK_SIZE, PACKS_PER_MESSAGE, packTeam, type PackObject } from "../src/completion-store/packs";
import { compactId } from "../src/ids";
import { bodyStore, DAY_MS } from "../src/store/bodies";
import { runCron } from "./helpers/cron";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { capturingQueue, drainQueue } from "./helpers/queue";
import { tidOf } from "./helpers/store";

// A list page reads the packs its rows are in (one R2 object per 100 completions) instead of one
// object per completion, and shows exactly what it showed before packing.

const SEEDED = 250;
const BASE_CREATED = 1_700_000_000;

afterEach(() => forgetPackingAsks());

/** An R2 binding that notes every key read, and can act before a write. */
function watchedBucket(beforePut?: (key: string) => Promise<void>) {
  const gets: string[] = [];
  const bucket = new Proxy(env.BODIES, {
    get(target, name) {
      if (name === "get") return (key: string, options?: R2GetOptions) => (gets.push(key), target.get(key, options));
      if (name === "put" && beforePut)
        return async (key: string, value: never, options?: R2PutOptions) => {
          await beforePut(key);
          return target.put(key, value, options);
        };
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { bucket, gets };
}

/** A list call whose asks for packing go nowhere: each test packs when it means to. */
const list = (key: string, query: string, bindings: Partial<Cloudflare.Env> = {}) =>
  call(`/v1/chat/completions?${query}`, { key, env: { BACKGROUND_QUEUE: capturingQueue([]).queue, ...bindings } });

/** Every page of a list, followed with `after`. */
async function allPages(key: string, query: string): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  let after = "";
  for (;;) {
    const page = await json(await list(key, `${query}${after}`));
    pages.push(page.data);
    if (!page.has_more) return pages;
    after = `&after=${page.last_id}`;
  }
}

const QUERIES = ["limit=100", "limit=100&order=desc", "limit=7&metadata[tier]=gold", "limit=20&order=desc&metadata[tier]=silver"];
const pagesOf = async (key: string) => Promise.all(QUERIES.map((query) => allPages(key, query)));
interface PackRowSeen {
  created: number;
  id: string;
  last_created: number;
  last_id: string;
  at: number;
  n: number;
  ready: number;
}
const packRows = async (tid: number) => (await env.DB.prepare("select * from completion_packs where tid = ? order by created, id").bind(tid).all<PackRowSeen>()).results;


describe("packs of stored completions for lists", () => {
  let key: string;
  let teamId: string;
  let tid: number;
  let other: { key: string; teamId: string };
  let before: unknown[][][];
  let otherBefore: unknown[][][];
  /** The team's completions in list order (ascending), as listed before packing. */
  let ascending: { id: string }[];
  const firstPack = () => packKey(tid, BASE_CREATED * 1000, compactId(ascending[0].id));

  beforeAll(async () => {
    ({ key, teamId } = await createTeamWithKey());
    other = await createTeamWithKey();
    tid = await tidOf(teamId);
    await seedCompletions(env.DB, { teamId, bodies: env.BODIES, to: SEEDED, baseCreated: BASE_CREATED });
    // The other team's ids differ; its rows sit in the same list positions.
    await seedCompletions(env.DB, { teamId: other.teamId, bodies: env.BODIES, to: SEEDED, baseCreated: BASE_CREATED, idPrefix: "chatcmpl-other" });
    before = await pagesOf(key);
    otherBefore = await pagesOf(other.key);
    ascending = before[0].flat() as { id: string }[];
    forgetPackingAsks();
  });

  it("before packing, a page of 100 reads 100 objects, and asks (once) for the team's packing", async () => {
    const { bucket, gets } = watchedBucket();
    const { queue, sent } = capturingQueue(["store.pack"]);
    await list(key, "limit=100", { BODIES: bucket, BACKGROUND_QUEUE: queue });
    await list(key, "limit=100&order=desc", { BACKGROUND_QUEUE: queue });
    expect(gets.length).toBe(100);
    expect(sent.map((s) => s.body)).toEqual([{ kind: "store.pack", teamId }]);
    await drainQueue(sent);
  });

  it("packs runs of 100 in list order, and the last, shorter run once the team has been quiet", async () => {
    const packs = await packRows(tid);
    // 250 rows of one day, the newest long ago: two packs of 100, then the last 50.
    expect(packs.map((p) => [p.id, p.n])).toEqual([
      [compactId(ascending[0].id), PACK_SIZE],
      [compactId(ascending[100].id), PACK_SIZE],
      [compactId(ascending[200].id), SEEDED - 2 * PACK_SIZE],
    ]);
    expect(await packRows(await tidOf(other.teamId))).toEqual([]);
    // Packing again finds nothing new.
    expect(await packTeam(env, teamId)).toEqual({ packs: 0, more: false });
  });

  it("a page then reads its packs, and every list shows exactly what it showed before", async () => {
    const { bucket, gets } = watchedBucket();
    await list(key, "limit=100", { BODIES: bucket });
    expect(gets).toEqual([firstPack()]);
    gets.length = 0;
    // The newest page: the last pack's 50 rows and 50 of the second pack.
    await list(key, "limit=100&order=desc", { BODIES: bucket });
    expect(gets.length).toBe(2);
    expect(await pagesOf(key)).toEqual(before);
    // The other team, not packed, reads no pack: this team's packs are never its rows' candidates.
    gets.length = 0;
    await list(other.key, "limit=100", { BODIES: bucket });
    expect(gets.filter((key) => key.includes("/p/"))).toEqual([]);
    expect(gets).toHaveLength(100);
    expect(await pagesOf(other.key)).toEqual(otherBefore);
  });

  it("a row its pack does not hold is read on its own; metadata comes from the index", async () => {
    const bodies = bodyStore(env.BODIES);
    const object = (await bodies.getJson<PackObject>(firstPack()))!;
    delete object.bodies[compactId(ascending[7].id)];
    await bodies.putJson(firstPack(), object);
    const id = ascending[8].id;
    const updated = await call(`/v1/chat/completions/${id}`, { key, body: { metadata: { tier: "platinum" } } });
    expect(updated.status).toBe(200);

    const page = (await json(await list(key, "limit=10"))).data;
    expect(page[7]).toEqual(ascending[7]);
    expect(page[8]).toEqual({ ...ascending[8], metadata: { tier: "platinum" } });
  });

  it("deleting a completion takes its answer out of its pack; the others stay whole", async () => {
    const id = ascending[5].id;
    expect((await bodyStore(env.BODIES).getJson<PackObject>(firstPack()))!.bodies).toHaveProperty(compactId(id));
    expect((await call(`/v1/chat/completions/${id}`, { key, method: "DELETE" })).status).toBe(200);

    const left = (await bodyStore(env.BODIES).getJson<PackObject>(firstPack()))!.bodies;
    expect(left).not.toHaveProperty(compactId(id));
    expect(Object.keys(left)).toHaveLength(PACK_SIZE - 2);
    const page = (await json(await list(key, "limit=10"))).data as { id: string }[];
    expect(page.map((c) => c.id)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10].map((n) => ascending[n].id));
    expect(await json(await call(`/v1/chat/completions/${ascending[6].id}`, { key }))).toEqual(ascending[6]);
  });
});

describe("packing and deletion at the same time", () => {
  it("a completion deleted while its pack is being written is not kept in the pack", async () => {
    const { key, teamId } = await createTeamWithKey();
    await seedCompletions(env.DB, { teamId, bodies: env.BODIES, to: PACK_SIZE, baseCreated: BASE_CREATED + 100_000 });
    const doomed = seededCompletionId(42);
    let deleted = false;
    const { bucket } = watchedBucket(async (written) => {
      // The delete lands after the packer read the rows and bodies, before its pack exists.
      if (!written.includes("/p/") || deleted) return;
      deleted = true;
      if ((await call(`/v1/chat/completions/${doomed}`, { key, method: "DELETE" })).status !== 200) throw new Error("delete failed");
    });
    expect(await packTeam({ ...env, BODIES: bucket }, teamId)).toEqual({ packs: 1, more: false });

    const tid = await tidOf(teamId);
    const [pack] = await packRows(tid);
    const bodies = (await bodyStore(env.BODIES).getJson<PackObject>(packKey(tid, pack.at, pack.id)))!.bodies;
    expect(Object.keys(bodies)).toHaveLength(PACK_SIZE - 1);
    expect(bodies).not.toHaveProperty(compactId(doomed));
    expect((await call(`/v1/chat/completions/${doomed}`, { key })).status).toBe(404);
  });
});

describe("two packers, and a packer that fails", () => {
  it("two packers of one team at once write packs that never overlap, and pack every row once", async () => {
    const { teamId } = await createTeamWithKey();
    await seedCompletions(env.DB, { teamId, bodies: env.BODIES, to: 5 * PACK_SIZE, baseCreated: BASE_CREATED + 400_000 });
    await Promise.all([packTeam(env, teamId, { maxPacks: 10 }), packTeam(env, teamId, { maxPacks: 10 }), packTeam(env, teamId, { maxPacks: 10 })]);
    const packs = await packRows(await tidOf(teamId));
    const ranges = packs;
    for (let i = 1; i < ranges.length; i++) {
      const [prev, next] = [ranges[i - 1], ranges[i]];
      expect(next.created > prev.last_created || (next.created === prev.last_created && next.id > prev.last_id)).toBe(true);
    }
    expect(ranges.reduce((sum, p) => sum + p.n, 0)).toBe(5 * PACK_SIZE);
    expect(ranges.every((p) => p.ready === 1)).toBe(true);
  });

  it("a pack whose packer failed after its claim is finished by the next, without a completion deleted meanwhile", async () => {
    const { key, teamId } = await createTeamWithKey();
    await seedCompletions(env.DB, { teamId, bodies: env.BODIES, to: PACK_SIZE, baseCreated: BASE_CREATED + 500_000 });
    const doomed = seededCompletionId(23);
    const { bucket } = watchedBucket(async (written) => {
      if (!written.includes("/p/")) return;
      // Deleted once the pack's object is being written, and then R2 fails the packer.
      expect((await call(`/v1/chat/completions/${doomed}`, { key, method: "DELETE" })).status).toBe(200);
      throw new Error("R2 is failing writes");
    });
    await expect(packTeam({ ...env, BODIES: bucket }, teamId)).rejects.toThrow("R2 is failing writes");
    const tid = await tidOf(teamId);
    expect((await packRows(tid)).map((p) => p.ready)).toEqual([0]);

    expect(await packTeam(env, teamId)).toEqual({ packs: 1, more: false });
    const [pack] = await packRows(tid);
    expect(pack).toMatchObject({ n: PACK_SIZE - 1, ready: 1 });
    const held = (await bodyStore(env.BODIES).getJson<PackObject>(packKey(tid, pack.at, pack.id)))!.bodies;
    expect(Object.keys(held)).toHaveLength(PACK_SIZE - 1);
    expect(held).not.toHaveProperty(compactId(doomed));
  });
});

describe("packing through the queue", () => {
  it("one delivery writes at most PACKS_PER_MESSAGE packs in all, whatever it holds; the rest goes on in later ones", async () => {
    const [x, y] = [await createTeamWithKey(), await createTeamWithKey()];
    await seedCompletions(env.DB, { teamId: x.teamId, bodies: env.BODIES, to: 6 * PACK_SIZE, baseCreated: BASE_CREATED + 600_000 });
    await seedCompletions(env.DB, { teamId: y.teamId, bodies: env.BODIES, to: PACK_SIZE, baseCreated: BASE_CREATED + 700_000 });
    const { queue, sent } = capturingQueue(["store.pack"]);
    const packsOf = async () => (await packRows(await tidOf(x.teamId))).length + (await packRows(await tidOf(y.teamId))).length;

    // One delivery of three messages, as one invocation.
    const bodies: BackgroundMessage[] = [x.teamId, y.teamId, x.teamId].map((teamId) => ({ kind: "store.pack", teamId }));
    const batch = createMessageBatch<BackgroundMessage>("llm-gateway-background", bodies.map((body, i) => ({ id: `pack-${i}`, timestamp: new Date(), attempts: 1, body })));
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, BACKGROUND_QUEUE: queue } as Cloudflare.Env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(3);
    expect(await packsOf()).toBe(PACKS_PER_MESSAGE);
    // Both teams go on, once each.
    expect(sent.map((m) => m.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [x.teamId, y.teamId].map((teamId) => ({ kind: "store.pack", teamId })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    await drainQueue(sent, { BACKGROUND_QUEUE: queue });
    expect(await packRows(await tidOf(x.teamId))).toHaveLength(6);
    expect(await packRows(await tidOf(y.teamId))).toHaveLength(1);
  });
});

describe("a pack that cannot be rewritten at once", () => {
  it("a deleted completion's answer leaves it through the queue, and the delete answers 200", async () => {
    const { key, teamId } = await createTeamWithKey();
    await seedCompletions(env.DB, { teamId, bodies: env.BODIES, to: PACK_SIZE, baseCreated: BASE_CREATED + 300_000 });
    expect(await packTeam(env, teamId)).toEqual({ packs: 1, more: false });
    const tid = await tidOf(teamId);
    const [pack] = await packRows(tid);
    const doomed = seededCompletionId(17);
    const { bucket } = watchedBucket(async (written) => {
      if (written.includes("/p/")) throw new Error("R2 is failing writes");
    });
    const { queue, sent } = capturingQueue(["store.unpack"]);

    expect((await call(`/v1/chat/completions/${doomed}`, { key, method: "DELETE", env: { BODIES: bucket, BACKGROUND_QUEUE: queue } })).status).toBe(200);
    const held = async () => (await bodyStore(env.BODIES).getJson<PackObject>(packKey(tid, pack.at, pack.id)))!.bodies;
    expect(await held()).toHaveProperty(compactId(doomed));
    expect(sent.map((m) => m.body)).toEqual([{ kind: "store.unpack", teamId, created: expect.any(Number), id: compactId(doomed) }]);
    expect((await drainQueue(sent)).dead).toEqual([]);
    expect(await held()).not.toHaveProperty(compactId(doomed));
    expect(Object.keys(await held())).toHaveLength(PACK_SIZE - 1);
  });
});

describe("which rows make a pack", () => {
  const now = Date.UTC(2026, 5, 1, 12);
  const rows = (count: number, at: (i: number) => number) => Array.from({ length: count }, (_, i) => ({ id: `r${i}`, created: i, at: at(i), loc: 1 }));
  const settled = now - PACK_SETTLE_MS - 1;

  it("a full run of one day is packed, and only PACK_SIZE of it", () => {
    expect(nextRun(rows(PACK_SIZE + 5, () => settled), now)).toHaveLength(PACK_SIZE);
  });

  it("a run that is not full waits, unless the day changed after it or the team has been quiet", () => {
    expect(nextRun(rows(PACK_SIZE - 1, () => settled), now)).toBeNull();
    const run = nextRun(rows(30, (i) => (i < 20 ? settled - DAY_MS : settled)), now);
    expect(run?.map((r) => r.id)).toEqual(rows(20, () => 0).map((r) => r.id));
    expect(nextRun(rows(7, () => now - PACK_IDLE_MS - 1), now)).toHaveLength(7);
    expect(nextRun(rows(7, (i) => (i === 6 ? now - PACK_IDLE_MS + 1_000 : now - PACK_IDLE_MS - 1)), now)).toBeNull();
  });

  it("a run waits while any of its rows was stored too recently", () => {
    expect(nextRun(rows(PACK_SIZE, (i) => (i === 60 ? now - 1_000 : settled)), now)).toBeNull();
  });
});

describe("packs and retention", () => {
  it("a pack goes once its whole day has expired, its object with the day's prefix; a pack of a day still partly kept stays", async () => {
    const { teamId } = await createTeamWithKey();
    const tid = await tidOf(teamId);
    await seedCompletions(env.DB, { teamId, bodies: env.BODIES, to: PACK_SIZE, baseCreated: BASE_CREATED + 200_000 });
    expect(await packTeam(env, teamId)).toEqual({ packs: 1, more: false });
    const [expired] = await packRows(tid);
    const expiredKey = packKey(tid, expired.at, expired.id);
    expect(await env.BODIES.head(expiredKey)).not.toBeNull();
    // A pack of the day the cutoff falls in: some of that day is still kept.
    const now = Date.now();
    const cutoffDay = Math.floor((now - 30 * DAY_MS) / DAY_MS) * DAY_MS;
    await env.DB.prepare("insert into completion_packs (tid, created, id, last_created, last_id, at, n, ready) values (?1, 1, 'kept-day', 1, 'kept-day', ?2, 1, 1)")
      .bind(tid, cutoffDay + 1)
      .run();

    await runCron({ STORE_RETENTION_DAYS: "30" });
    expect((await packRows(tid)).map((p) => p.id)).toEqual(["kept-day"]);
    expect(await env.BODIES.head(expiredKey)).toBeNull();
  });
});
