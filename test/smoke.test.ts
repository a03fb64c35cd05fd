import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";

afterEach(() => vi.restoreAllMocks());

describe("smoke", () => {
  it("stores and lists", async () => {
    const { key } = await createTeamWithKey();
    const fixture = completionFixture();
    mockUpstream(() => jsonResponse(fixture));
    const res = await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "hi" }], store: true, metadata: { a: "1" } } });
    expect(res.status).toBe(200);
    const list = await json(await call("/v1/chat/completions", { key }));
    expect(list.data).toHaveLength(1);
    expect(list.data[0].id).toBe(fixture.id);
    expect(list.data[0].metadata).toEqual({ a: "1" });
  });
});
