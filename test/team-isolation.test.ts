import { beforeAll, describe, expect, it } from "vitest";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { collectIds, seedCompletions } from "./helpers/seed";

// Two teams with the same models and metadata; each must only ever see its own rows.
let red: string;
let blue: string;
// Filled with the ids the gateway mints.
const redIds: string[] = [];
const blueIds: string[] = [];

beforeAll(async () => {
  red = (await createTeamWithKey()).key;
  blue = (await createTeamWithKey()).key;
  const redLabels = ["red-1", "red-2", "red-3"];
  const blueLabels = ["blue-1", "blue-2"];
  const redMinted = await seedCompletions(red, redLabels.map((id, i) => ({ id, created: 100 + i, model: "shared-model", metadata: { env: "prod" }, content: `RED-SECRET-${i}` })));
  const blueMinted = await seedCompletions(blue, blueLabels.map((id, i) => ({ id, created: 100 + i, model: "shared-model", metadata: { env: "prod" }, content: `BLUE-SECRET-${i}` })));
  redIds.push(...redLabels.map((label) => redMinted[label]));
  blueIds.push(...blueLabels.map((label) => blueMinted[label]));
});

describe.each([
  ["red", () => red, redIds, blueIds],
  ["blue", () => blue, blueIds, redIds],
])("team %s", (_, keyOf, own, other) => {
  it("lists only its own completions, with and without filters", async () => {
    for (const query of ["", "model=shared-model", "metadata[env]=prod", "metadata%5Benv%5D=prod&model=shared-model", "order=desc"]) {
      const ids = await collectIds(keyOf(), query, 1);
      expect(new Set(ids), query).toEqual(new Set(own));
    }
  });

  it("cannot use another team's id as the after cursor", async () => {
    for (const order of ["asc", "desc"]) {
      const res = await call(`/v1/chat/completions?after=${other[0]}&order=${order}`, { key: keyOf() });
      expect(res.status).toBe(400);
      const text = await res.text();
      for (const id of other.slice(1)) expect(text).not.toContain(id);
    }
  });

  it("gets 404, never 403, for another team's completion on get, update, delete and messages", async () => {
    const target = other[0];
    const attempts = [
      call(`/v1/chat/completions/${target}`, { key: keyOf() }),
      call(`/v1/chat/completions/${target}`, { key: keyOf(), body: { metadata: { hijacked: "yes" } } }),
      call(`/v1/chat/completions/${target}`, { key: keyOf(), method: "DELETE" }),
      call(`/v1/chat/completions/${target}/messages`, { key: keyOf() }),
      call(`/v1/chat/completions/${target}/messages?after=${target}-0`, { key: keyOf() }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain("SECRET");
    }
  });

  it("leaves the other team's completions untouched by its own updates and deletes", async () => {
    const otherKey = keyOf() === red ? blue : red;
    for (const id of other) {
      const body = await json(await call(`/v1/chat/completions/${id}`, { key: otherKey }));
      expect(body.metadata).toEqual({ env: "prod" });
    }
  });

  it("reads its own messages", async () => {
    const body = await json(await call(`/v1/chat/completions/${own[0]}/messages`, { key: keyOf() }));
    expect(body.data).toEqual([{ id: `${own[0]}-0`, role: "user", content: expect.stringMatching(/^question (red|blue)-1$/), refusal: null, name: null, content_parts: null }]);
  });
});

describe("the same upstream id in two teams", () => {
  it("is stored separately for each team, each under its own minted id", async () => {
    const a = (await createTeamWithKey()).key;
    const b = (await createTeamWithKey()).key;
    // The mocked upstream answers both with the same id.
    const { shared: idA } = await seedCompletions(a, [{ id: "shared", created: 1, content: "A's answer" }]);
    const { shared: idB } = await seedCompletions(b, [{ id: "shared", created: 1, content: "B's answer" }]);
    expect(idA).not.toBe(idB);
    expect((await json(await call(`/v1/chat/completions/${idA}`, { key: a }))).choices[0].message.content).toBe("A's answer");
    expect((await json(await call(`/v1/chat/completions/${idB}`, { key: b }))).choices[0].message.content).toBe("B's answer");
    await call(`/v1/chat/completions/${idA}`, { key: a, method: "DELETE" });
    expect((await call(`/v1/chat/completions/${idB}`, { key: b })).status).toBe(200);
  });
});
