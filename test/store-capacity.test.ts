import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import type { UsageMessage } from "../src/queue/messages";
import { captureQueue, deliver } from "./helpers/usage";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";

// What a stored completion costs D1, everything the request writes counted: its index row and
// indexes, its metadata's filter rows, its usage event with its rollups, and its upstream outcome
// (the id that guards its redelivery, and the rollups). workerd's D1 has no `dbstat`, so the figure
// is the database's own size, which D1 reports with every result, before and after.
// The figures go in docs/capacity.md.

const N = 300;
const text = (bytes: number, seed: number) => Array.from({ length: bytes }, (_, i) => "abcdefghijklmnopqrstuvwxyz ,.0123456789"[(i * 7 + seed * 13) % 38]).join("");

async function r2Objects(prefix: string): Promise<R2Object[]> {
  const objects: R2Object[] = [];
  let cursor: string | undefined;
  do {
    const listed = await env.BODIES.list({ prefix, cursor });
    objects.push(...listed.objects);
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
  return objects;
}

const databaseBytes = async () => (await env.DB.prepare("select 1").run()).meta.size_after;

/** D1 bytes per completion stored through the gateway with a prompt of `promptBytes` and 3 metadata pairs. */
async function d1BytesPerCompletion(promptBytes: number): Promise<number> {
  const { key, teamId } = await createTeamWithKey();
  const captured = captureQueue();
  const before = await databaseBytes();
  for (let i = 0; i < N; i++) {
    const { spy } = mockUpstream(() =>
      jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content: text(1024, i + 1), refusal: null }, finish_reason: "stop", logprobs: null }] })),
    );
    const res = await call("/v1/chat/completions", {
      key,
      env: captured.env,
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: text(promptBytes, i) }], store: true, metadata: { project: `project-${i % 7}`, user: `user-${i}`, env: "prod" } },
    });
    expect(res.status).toBe(200);
    spy.mockRestore();
  }
  // The usage messages of the same requests, each carrying its upstream outcome, as the consumer gets them.
  const usage = captured.messages.filter((m): m is UsageMessage => m.kind === "usage");
  expect(usage).toHaveLength(N);
  expect(usage.every((m) => m.outcome)).toBe(true);
  await deliver(usage);
  const d1 = ((await databaseBytes()) - before) / N;
  expect(await env.DB.prepare("select count(*) as n from upstream_events where id in (select value from json_each(?))").bind(JSON.stringify(usage.map((m) => m.outcome!.id))).first("n")).toBe(N);
  const tid = await env.DB.prepare("select store_id from team_store where team_id = ?").bind(teamId).first<number>("store_id");
  let r2 = 0;
  for (const object of await r2Objects(`t/${tid}/`)) r2 += object.size;
  console.log(JSON.stringify({ measure: "store_bytes_per_completion", prompt_bytes: promptBytes, d1: Math.round(d1), r2: Math.round(r2 / N) }));
  return d1;
}

describe("capacity", () => {
  it("a stored completion takes at most 1 KB of D1 with 3 metadata pairs, every table its request writes included, whatever its prompt's size (2 KB and 16 KB differ by < 100 bytes)", async () => {
    const small = await d1BytesPerCompletion(2 * 1024);
    const large = await d1BytesPerCompletion(16 * 1024);
    console.log(JSON.stringify({ measure: "d1_bytes_per_stored_completion", prompt_2kb: Math.round(small), prompt_16kb: Math.round(large), fit_in_10_gb: Math.floor(10e9 / Math.max(small, large)) }));
    // Both are real growth (the rows exist), under the target, and independent of the prompt.
    expect(small).toBeGreaterThan(100);
    expect(small).toBeLessThanOrEqual(1024);
    expect(large).toBeLessThanOrEqual(1024);
    expect(Math.abs(large - small)).toBeLessThan(100);
    const { results } = await env.DB.prepare("select count(*) as n from completion_index").all<{ n: number }>();
    expect(results[0].n).toBeGreaterThanOrEqual(2 * N);
  }, 120_000);
});
