import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { MAX_SEGMENTS } from "../src/completion-store/conversation";
import { forgetRecentLayouts } from "../src/completion-store/recent-layouts";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { r2Keys } from "./helpers/store";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";

// A conversation whose every turn re-sends its whole history is stored once: each request's new
// messages in one R2 segment, earlier ones referenced.

/** ~`bytes` of text that compresses about as well as prose (not a run of one letter). */
function prose(bytes: number, seed: number): string {
  const words = ["the", "agent", "calls", "a", "tool", "with", "arguments", "and", "reads", "result", "of", "query", "file", "line", "error", "fixed"];
  let out = "";
  let x = seed * 7919 + 1;
  while (out.length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += `${words[x % words.length]}${x % 11 === 0 ? `-${x % 9973}` : ""} `;
  }
  return out.slice(0, bytes);
}

async function ask(key: string, messages: unknown[], answer: string): Promise<string> {
  const { spy } = mockUpstream(() => jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: answer, refusal: null }, finish_reason: "stop", logprobs: null }] })));
  const res = await call("/v1/chat/completions", { key, body: { model: "m", messages, store: true, metadata: { run: "r1" } } });
  spy.mockRestore();
  expect(res.status).toBe(200);
  return (await json(res)).id;
}

async function allMessages(key: string, id: string, limit = 100): Promise<any[]> {
  const out: any[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await json(await call(`/v1/chat/completions/${id}/messages?limit=${limit}${after ? `&after=${after}` : ""}`, { key }));
    out.push(...page.data);
    if (!page.has_more) return out;
    after = page.last_id;
  }
}

const tidOf = async (teamId: string) => (await env.DB.prepare("select store_id from team_store where team_id = ?").bind(teamId).first<number>("store_id"))!;
const r2Bytes = async (prefix: string) => {
  let total = 0;
  for (const key of await r2Keys(prefix)) total += (await env.BODIES.head(key))!.size;
  return total;
};
const databaseBytes = async () => (await env.DB.prepare("select 1").run()).meta.size_after;

describe("a conversation stored once", () => {
  // Each turn finds the turn before it among the layouts this isolate wrote, or (as on a fresh
  // isolate, or when turns land on different isolates) through the D1 index and the R2 object.
  it.each([
    ["the isolate's recent layouts", false],
    ["the D1 index", true],
  ])("stores a 30-turn conversation (2 KB turns, full history re-sent) in at most 4x its last request, D1 and R2 together, and every turn's /messages returns its exact messages: earlier turns found through %s", async (_, fresh) => {
    const { key, teamId } = await createTeamWithKey();
    const d1Before = await databaseBytes();
    const history: { role: string; content: string }[] = [{ role: "system", content: prose(1024, 0) }];
    const turns: { id: string; messages: typeof history }[] = [];
    let lastRequestBytes = 0;
    for (let turn = 1; turn <= 30; turn++) {
      history.push({ role: "user", content: prose(1024, turn * 2) });
      const messages = history.map((m) => ({ ...m }));
      lastRequestBytes = new TextEncoder().encode(JSON.stringify({ model: "m", messages, store: true, metadata: { run: "r1" } })).length;
      const answer = prose(1024, turn * 2 + 1);
      if (fresh) forgetRecentLayouts();
      turns.push({ id: await ask(key, messages, answer), messages });
      history.push({ role: "assistant", content: answer });
    }
    const stored = (await r2Bytes(`t/${await tidOf(teamId)}/`)) + ((await databaseBytes()) - d1Before);
    console.log(JSON.stringify({ measure: "conversation_30_turns", last_request_bytes: lastRequestBytes, stored_bytes: stored, ratio: +(stored / lastRequestBytes).toFixed(2), r2_objects: (await r2Keys(`t/${await tidOf(teamId)}/`)).length }));
    expect(stored).toBeLessThanOrEqual(4 * lastRequestBytes);
    for (const { id, messages } of turns) {
      const shown = await allMessages(key, id, 7);
      expect(shown.map((m) => ({ role: m.role, content: m.content }))).toEqual(messages);
      expect(shown.map((m) => m.id)).toEqual(messages.map((_, i) => `${id}-${i}`));
    }
    // Two R2 writes at most per turn: its segment of new messages and its completion object.
    expect((await r2Keys(`t/${await tidOf(teamId)}/`)).length).toBeLessThanOrEqual(2 * 30);
  }, 120_000);

  it("reads a page of /messages from a bounded number of R2 objects", async () => {
    const { key } = await createTeamWithKey();
    const history: { role: string; content: string }[] = [];
    let id = "";
    for (let turn = 0; turn < 20; turn++) {
      history.push({ role: "user", content: `question ${turn}` });
      id = await ask(key, history, `answer ${turn}`);
      history.push({ role: "assistant", content: `answer ${turn}` });
    }
    const gets = vi.spyOn(env.BODIES, "get");
    const page = await json(await call(`/v1/chat/completions/${id}/messages?limit=100`, { key, env: { BODIES: env.BODIES } }));
    expect(page.data).toHaveLength(39);
    expect(gets.mock.calls.length).toBeLessThanOrEqual(MAX_SEGMENTS + 1);
    gets.mockRestore();
  });

  it("deleting one of two completions that share messages leaves the other whole", async () => {
    const { key } = await createTeamWithKey();
    const shared = [{ role: "system", content: prose(2_000, 1) }, { role: "user", content: "first question" }];
    const first = await ask(key, shared, "first answer");
    const second = await ask(key, [...shared, { role: "assistant", content: "first answer" }, { role: "user", content: "second" }], "second answer");
    const before = { completion: await json(await call(`/v1/chat/completions/${second}`, { key })), messages: await allMessages(key, second) };
    expect(before.messages).toHaveLength(4);
    expect((await call(`/v1/chat/completions/${first}`, { key, method: "DELETE" })).status).toBe(200);
    expect((await call(`/v1/chat/completions/${first}`, { key })).status).toBe(404);
    expect({ completion: await json(await call(`/v1/chat/completions/${second}`, { key })), messages: await allMessages(key, second) }).toEqual(before);
    // And the other way round.
    const third = await ask(key, shared, "third answer");
    expect((await call(`/v1/chat/completions/${second}`, { key, method: "DELETE" })).status).toBe(200);
    expect((await allMessages(key, third)).map((m) => m.content)).toEqual(shared.map((m) => m.content));
  });
});
