import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MIGRATE_BATCH, migrateInlineBatch } from "../src/completion-store/migrate-inline";
import { compactId, mintCompletionId } from "../src/ids";
import { interposedD1 } from "./helpers/d1-faults";
import { runCron } from "./helpers/cron";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { capturingQueue, drainQueue } from "./helpers/queue";
import { r2Keys, tidOf } from "./helpers/store";
import { restoreSpies, track } from "./helpers/spies";

// Completions stored inline in D1 (the way the gateway stored them before bodies moved to R2)
// keep working, and a queue-driven job moves them to R2 in bounded batches.

afterEach(restoreSpies);

/** The statements of the migration that give inline completions their index rows (re-run here, as a deploy ran them). */
function adoptionStatements(): string[] {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0006_"))!;
  return migration.queries.flatMap((q) => q.match(/INSERT INTO `completion_(index|filters)`[\s\S]*?;/g) ?? []);
}

/** Writes a completion the old way: the body and each message inline, metadata in its own table. */
async function storeInline(teamId: string, i: number, large = false) {
  const id = await mintCompletionId(env.ID_SECRET!, Date.now() - 1000 + i);
  const content = large ? "L".repeat(450_000) : `answer ${i}`;
  const body = { id, object: "chat.completion", created: 1_700_000_000 + i, model: "gpt-old", choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }] };
  const messages = [{ role: "system", content: "be brief" }, { role: "user", content: `question ${i}` }];
  const bodyJson = JSON.stringify(body);
  const inline = bodyJson.length <= 400_000;
  await env.DB.batch([
    env.DB.prepare(
      `insert into completions (team_id, id, created, model, metadata, body, body_parts, message_count, stored_at, upstream_id, upstream) values (?, ?, ?, 'gpt-old', ?, ?, ?, 2, ?, 'up-id', 'default')`,
    ).bind(teamId, id, body.created, JSON.stringify({ n: String(i) }), inline ? bodyJson : null, inline ? 0 : 2, Date.now()),
    ...(inline ? [] : [0, 1].map((part) => env.DB.prepare("insert into payload_parts (team_id, completion_id, slot, part, data) values (?, ?, -1, ?, ?)").bind(teamId, id, part, bodyJson.slice(part * 400_000, (part + 1) * 400_000)))),
    ...messages.map((m, idx) => env.DB.prepare("insert into completion_messages (team_id, completion_id, idx, data, data_parts) values (?, ?, ?, ?, 0)").bind(teamId, id, idx, JSON.stringify(m))),
    env.DB.prepare("insert into completion_metadata (team_id, completion_id, key, value, created) values (?, ?, 'n', ?, ?)").bind(teamId, id, String(i), body.created),
  ]);
  return id;
}

const read = async (key: string, id: string) => ({
  completion: await json(await call(`/v1/chat/completions/${id}`, { key })),
  messages: (await json(await call(`/v1/chat/completions/${id}/messages`, { key }))).data,
});

describe("inline completions", () => {
  it("keep working, and the queue-driven job moves them to R2 in bounded batches, reading back unchanged", async () => {
    const { key, teamId } = await createTeamWithKey();
    const N = MIGRATE_BATCH + 7;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push(await storeInline(teamId, i, i === 3));
    for (const statement of adoptionStatements()) await env.DB.prepare(statement).run();
    await env.DB.prepare("delete from completion_metadata").run();

    const before = await Promise.all(ids.map((id) => read(key, id)));
    expect(before[5].completion).toMatchObject({ id: ids[5], metadata: { n: "5" }, choices: [{ message: { content: "answer 5" } }] });
    expect(before[3].completion.choices[0].message.content).toHaveLength(450_000);
    expect(before[5].messages.map((m: { content: string }) => m.content)).toEqual(["be brief", "question 5"]);
    const listed = await json(await call("/v1/chat/completions?metadata[n]=5", { key }));
    expect(listed.data.map((c: { id: string }) => c.id)).toEqual([ids[5]]);

    const { queue, sent } = capturingQueue(["store.migrate_inline"]);
    await runCron({ BACKGROUND_QUEUE: queue });
    expect(sent.map((s) => s.body)).toEqual([{ kind: "store.migrate_inline", shard: 0 }]);
    const { rounds, dead } = await drainQueue(sent, { BACKGROUND_QUEUE: queue });
    expect(dead).toEqual([]);
    // Bounded: one batch per message, each sending the next.
    expect(rounds).toBe(2);

    expect(await env.DB.prepare("select count(*) as n from completions").first("n")).toBe(0);
    expect(await env.DB.prepare("select count(*) as n from completion_messages").first("n")).toBe(0);
    expect(await env.DB.prepare("select count(*) as n from payload_parts").first("n")).toBe(0);
    expect(await env.DB.prepare("select count(*) as n from completion_index where loc = 0").first("n")).toBe(0);
    expect((await r2Keys("t/")).length).toBeGreaterThanOrEqual(N);
    expect(await Promise.all(ids.map((id) => read(key, id)))).toEqual(before);
    // Nothing is left to start.
    const again = capturingQueue(["store.migrate_inline"]);
    await runCron({ BACKGROUND_QUEUE: again.queue });
    expect(again.sent).toEqual([]);
  }, 60_000);

  it("leaves no object in R2 for a completion deleted while the job moves it", async () => {
    const { teamId } = await createTeamWithKey();
    const id = await storeInline(teamId, 1);
    for (const statement of adoptionStatements()) await env.DB.prepare(statement).run();
    const tid = await tidOf(teamId);
    // Its row goes after the job read it and before the job says where its body went.
    const deleting = interposedD1(() => env.DB.prepare("delete from completion_index where tid = ? and id = ?").bind(tid, compactId(id)).run());
    const puts = track(vi.spyOn(env.BODIES, "put"));
    expect(await migrateInlineBatch({ ...env, DB: deleting }, 0)).toBe(1);
    const object = expect.stringMatching(`^t/${tid}/.*/c/${compactId(id)}$`);
    // It was written, and taken away again.
    expect(puts.mock.calls.map(([key]) => key)).toContainEqual(object);
    expect(await r2Keys(`t/${tid}/`)).not.toContainEqual(object);
    expect(await env.DB.prepare("select count(*) as n from completions where team_id = ?").bind(teamId).first("n")).toBe(0);
  });
});
