import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { bodyStore } from "../src/store/bodies";

// Small bodies are stored as plain JSON, larger ones gzip; a read tells them apart by their bytes.

const gzipOf = async (text: string) => new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();

describe("the body store", () => {
  it("stores a small body as plain JSON and a large one as gzip, and reads both back", async () => {
    const store = bodyStore(env.BODIES);
    const small = { note: "short" };
    const large = { text: "a long answer with words that repeat ".repeat(100) };
    await store.putJson("test/bodies/small", small);
    const largeBytes = await store.putJson("test/bodies/large", large);
    const rawSmall = new Uint8Array(await (await env.BODIES.get("test/bodies/small"))!.arrayBuffer());
    const rawLarge = new Uint8Array(await (await env.BODIES.get("test/bodies/large"))!.arrayBuffer());
    expect(new TextDecoder().decode(rawSmall)).toBe(JSON.stringify(small));
    expect([rawLarge[0], rawLarge[1]]).toEqual([0x1f, 0x8b]);
    expect(largeBytes).toBeLessThan(JSON.stringify(large).length / 4);
    expect(await store.getJson("test/bodies/small")).toEqual(small);
    expect(await store.getJson("test/bodies/large")).toEqual(large);
  });

  it("reads a gzip body stored without its content-encoding, as earlier writers left some", async () => {
    const value = { kept: "from an earlier writer" };
    await env.BODIES.put("test/bodies/bare-gzip", await gzipOf(JSON.stringify(value)));
    expect(await bodyStore(env.BODIES).getJson("test/bodies/bare-gzip")).toEqual(value);
  });

  it("sweeps expired day prefixes within a page budget, and reaches every team over several runs", async () => {
    const store = bodyStore(env.BODIES);
    // Days long before any other test's data, so only these are expired at this cutoff.
    const tids = [900001, 900002, 900003, 900004, 900005];
    const expired = tids.flatMap((tid) => [`t/${tid}/2001-01-01/c/a`, `t/${tid}/2001-01-02/m/b`]);
    const kept = tids.map((tid) => `t/${tid}/2001-03-01/c/kept`);
    for (const key of [...expired, ...kept]) await env.BODIES.put(key, "{}");
    const cutoff = Date.UTC(2001, 1, 1);
    const left = async () => (await Promise.all(expired.map((key) => env.BODIES.head(key)))).filter((o) => o !== null).length;

    await store.deleteExpiredDays(cutoff, 4);
    // Four list calls cannot reach five teams: some are left, and where to go on is noted.
    expect(await left()).toBeGreaterThan(0);
    expect(await env.BODIES.head("sweep/cursor")).not.toBeNull();
    let runs = 1;
    while ((await left()) > 0) {
      if (++runs > 100) throw new Error("the sweep does not reach every team");
      await store.deleteExpiredDays(cutoff, 4);
    }
    for (const key of kept) expect(await env.BODIES.head(key)).not.toBeNull();
    await env.BODIES.delete(kept);
    // A sweep that reaches every team leaves no cursor behind.
    for (let i = 0; i < 100 && (await env.BODIES.head("sweep/cursor")) !== null; i++) await store.deleteExpiredDays(cutoff, 4);
    expect(await env.BODIES.head("sweep/cursor")).toBeNull();
  });
});
