import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearPendingResponses } from "../src/responses/pending";
import { call, callLive, createTeamWithKey, json } from "./helpers/gateway";
import { capturingQueue, drainQueue } from "./helpers/queue";
import { restoreSpies, track } from "./helpers/spies";
import { completionFixture, jsonResponse, mockUpstream, sseResponse, textStreamChunks } from "./helpers/upstream";
import { tidOf } from "./helpers/store";
import { requireTeamStore } from "../src/store/shards";
import { appendItems, normaliseItem } from "../src/responses/conversations-store";

// Conversation items: the team's D1 shard keeps their index, R2 their JSON under the team's prefix, so an item of
// any size fits and deletions (of the item, the conversation, the team) remove the bodies.

afterEach(restoreSpies);

const bodies = async (prefix: string) => (await env.BODIES.list({ prefix })).objects.map((o) => o.key);
const shardOf = async (teamId: string) => (await requireTeamStore(env, teamId)).d1;
const indexRows = async (teamId: string, conversationId: string) =>
  (await shardOf(teamId)).prepare("select item_id, data, bytes, body_key, created_at from conversation_items where team_id = ? and conversation_id = ? order by seq").bind(teamId, conversationId).all<Record<string, any>>();

describe("conversation items", () => {
  it("are R2 objects under the team's prefix with an index row in D1; an item over 2 MB works; deletes remove the bodies", async () => {
    const { key, teamId } = await createTeamWithKey();
    const tid = await tidOf(teamId);
    const conversation = await json(await call("/v1/conversations", { key, body: { items: [{ type: "message", role: "user", content: "first" }] } }));
    // Over D1's 2 MB row limit.
    const big = "z".repeat(2_500_000);
    const added = await call(`/v1/conversations/${conversation.id}/items`, { key, body: { items: [{ type: "message", role: "user", content: big }, { type: "message", role: "user", content: "last" }] } });
    expect(added.status).toBe(200);
    const [first, bigItem, last] = (await json(await call(`/v1/conversations/${conversation.id}/items?order=asc`, { key }))).data;
    expect([first.content[0].text, bigItem.content[0].text.length, last.content[0].text]).toEqual(["first", big.length, "last"]);
    expect((await json(await call(`/v1/conversations/${conversation.id}/items/${bigItem.id}`, { key }))).content[0].text).toBe(big);

    const { results } = await indexRows(teamId, conversation.id);
    expect(results.map((r) => r.item_id)).toEqual([first.id, bigItem.id, last.id]);
    for (const row of results) {
      expect(row.data).toBeNull();
      expect(row.body_key.startsWith(`t/${tid}/conv/${conversation.id}/`)).toBe(true);
      expect(row.created_at).toBeGreaterThan(0);
      const object = await env.BODIES.get(row.body_key);
      // The stored (gzip) size.
      expect(row.bytes).toBe(object!.size);
    }

    // The same item again adds nothing, in D1 or R2.
    await call(`/v1/conversations/${conversation.id}/items`, { key, body: { items: [{ ...last }] } });
    expect((await indexRows(teamId, conversation.id)).results).toHaveLength(3);
    expect(await bodies(`t/${tid}/conv/${conversation.id}/`)).toHaveLength(3);

    expect((await call(`/v1/conversations/${conversation.id}/items/${bigItem.id}`, { key, method: "DELETE" })).status).toBe(200);
    expect(await env.BODIES.get(results[1].body_key)).toBeNull();
    expect((await call(`/v1/conversations/${conversation.id}`, { key, method: "DELETE" })).status).toBe(200);
    expect(await bodies(`t/${tid}/conv/${conversation.id}/`)).toEqual([]);
  });

  it("an append that lands after its conversation was deleted leaves no body; two appends of one item keep its body", async () => {
    const { key, teamId } = await createTeamWithKey();
    const tid = await tidOf(teamId);
    const gone = await json(await call("/v1/conversations", { key, body: {} }));
    expect((await call(`/v1/conversations/${gone.id}`, { key, method: "DELETE" })).status).toBe(200);
    // A late append, as a response's turn written in the background after its conversation went.
    await appendItems(env, teamId, gone.id, [normaliseItem({ type: "message", role: "user", content: "late" })]);
    expect(await bodies(`t/${tid}/conv/${gone.id}/`)).toEqual([]);

    // The same item appended twice at once: both write its body under one key, one index row wins, and the body stays.
    const kept = await json(await call("/v1/conversations", { key, body: {} }));
    const puts = track(vi.spyOn(env.BODIES, "put"));
    const item = normaliseItem({ id: "msg_twice", type: "message", role: "user", content: "twice" });
    await Promise.all([appendItems(env, teamId, kept.id, [item]), appendItems(env, teamId, kept.id, [structuredClone(item)])]);
    expect(puts).toHaveBeenCalledTimes(2);
    expect((await indexRows(teamId, kept.id)).results.map((row) => row.item_id)).toEqual(["msg_twice"]);
    expect((await json(await call(`/v1/conversations/${kept.id}/items/msg_twice`, { key }))).content[0].text).toBe("twice");
  });

  it("a response in a conversation reads the big item back for the upstream and appends its turn as bodies", async () => {
    const { key, teamId } = await createTeamWithKey();
    const tid = await tidOf(teamId);
    const big = "q".repeat(2_200_000);
    const conversation = await json(await call("/v1/conversations", { key, body: { items: [{ type: "message", role: "user", content: big }] } }));
    const upstream = mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: "read it", refusal: null }, finish_reason: "stop", logprobs: null }] })));
    const response = await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "summarise", conversation: conversation.id } });
    expect(response.status).toBe(200);
    expect(upstream.calls[0].body.messages.map((m: any) => (typeof m.content === "string" ? m.content.length : m.content[0].text.length))).toEqual([big.length, "summarise".length]);
    const { results } = await indexRows(teamId, conversation.id);
    expect(results).toHaveLength(3);
    expect(results.every((r) => r.data === null && r.body_key !== null)).toBe(true);
    // Under the team's prefix, which team deletion removes.
    expect(await bodies(`t/${tid}/conv/`)).toHaveLength(3);
  });

  it("a conversation append over the queue's message limit, whose write failed, goes in pieces and lands whole", async () => {
    const { key, teamId } = await createTeamWithKey();
    const conversation = await json(await call("/v1/conversations", { key, body: {} }));
    mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: "long read", refusal: null }, finish_reason: "stop", logprobs: null }] })));
    const { queue, sent } = capturingQueue(["conversation.append", "conversation.append.piece", "store.response", "store.response.piece"]);
    const failingPuts = {
      put: async () => {
        throw new Error("R2 is unavailable");
      },
      get: (k: string) => env.BODIES.get(k),
      head: (k: string) => env.BODIES.head(k),
      delete: (keys: string | string[]) => env.BODIES.delete(keys),
      list: (options?: R2ListOptions) => env.BODIES.list(options),
    } as unknown as R2Bucket;
    const long = "w".repeat(300_000);
    const response = await call("/v1/responses", { key, env: { BODIES: failingPuts, BACKGROUND_QUEUE: queue }, body: { model: "gpt-4o-mini", input: long, conversation: conversation.id } });
    expect(response.status).toBe(200);
    const kinds = new Set(sent.map((s) => s.body.kind));
    expect(kinds).toEqual(new Set(["conversation.append.piece", "store.response.piece"]));
    expect((await indexRows(teamId, conversation.id)).results).toHaveLength(0);
    await drainQueue(sent);
    clearPendingResponses();
    const items = (await json(await call(`/v1/conversations/${conversation.id}/items?order=asc`, { key }))).data;
    expect(items.map((i: any) => i.content[0].text.length)).toEqual([long.length, "long read".length]);
    expect(await (await shardOf(teamId)).prepare("select count(*) as n from write_spool where team_id = ?").bind(teamId).first("n")).toBe(0);
  });

  it("the next turn sees a streamed turn whose conversation write has not landed yet", async () => {
    const { key } = await createTeamWithKey();
    const conversation = await json(await call("/v1/conversations", { key, body: {} }));
    const { queue, sent } = capturingQueue(["conversation.append", "conversation.append.piece", "store.response", "store.response.piece"]);
    const failingPuts = new Proxy(env.BODIES, {
      get(target, prop) {
        if (prop === "put") return async () => Promise.reject(new Error("R2 is unavailable"));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    mockUpstream(() => sseResponse(textStreamChunks("c1", ["first ", "answer"])));
    const first = await callLive("/v1/responses", { key, env: { BODIES: failingPuts, BACKGROUND_QUEUE: queue }, body: { model: "gpt-4o-mini", input: "first question", conversation: conversation.id, stream: true } });
    expect(await first.response.text()).toContain("response.completed");
    await first.settled();
    // The append went to the queue, which has not delivered it: nothing of the turn is stored yet.
    expect(sent.map((s) => s.body.kind)).toContain("conversation.append");
    const upstream = mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: "second", refusal: null }, finish_reason: "stop", logprobs: null }] })));
    expect((await call("/v1/responses", { key, body: { model: "gpt-4o-mini", input: "second question", conversation: conversation.id } })).status).toBe(200);
    expect(upstream.calls[0].body.messages.map((m: any) => [m.role, typeof m.content === "string" ? m.content : m.content[0].text])).toEqual([
      ["user", "first question"],
      ["assistant", "first answer"],
      ["user", "second question"],
    ]);
    await drainQueue(sent);
  });
});
