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
});
