import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countCompletions, seedCompletions, seededCompletionId } from "../bench/seed.mjs";
import { call, createTeamWithKey, json } from "./helpers/gateway";

// The bench seeds the store straight into D1 and R2; what it seeds must read back through the API.

describe("the bench's seed", () => {
  it("seeds completions the gateway lists, gets, filters and pages messages of", async () => {
    const { key, teamId } = await createTeamWithKey();
    await seedCompletions(env.DB, { teamId, bodies: env.BODIES, to: 30, baseCreated: 1_700_000_000 });
    expect(await countCompletions(env.DB, teamId)).toBe(30);
    const id = seededCompletionId(7);
    const got = await json(await call(`/v1/chat/completions/${id}`, { key }));
    expect(got).toMatchObject({ id, object: "chat.completion", metadata: { tier: "bronze", user: "u7" } });
    expect((await json(await call("/v1/chat/completions?limit=100&metadata[tier]=gold", { key }))).data.map((c: { id: string }) => c.id)).toEqual([0, 10, 20].map((n) => seededCompletionId(n)));
    expect((await json(await call(`/v1/chat/completions/${id}/messages`, { key }))).data[0].content).toBe("Tell me about an order and its delivery.");
  });
});
