import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { completionsRepository } from "../src/db/completions";
import { mintCompletionId } from "../src/ids";
import { createTeamWithKey } from "./helpers/gateway";

// Measures the D1 bytes a typical stored completion takes: a 1 KB prompt, a 1 KB answer and 3
// metadata pairs, written the way the gateway writes them. The figure goes in docs/capacity.md.

const N = 2_000;
const kb = (seed: number) => Array.from({ length: 1024 }, (_, i) => "abcdefghijklmnopqrstuvwxyz ,.0123456789"[(i * 7 + seed) % 38]).join("");

/** The database file's size, as D1 reports it with every result (PRAGMA page_count is not allowed). */
async function databaseBytes(): Promise<number> {
  const { meta } = await env.DB.prepare("select 1").run();
  return meta.size_after;
}

describe("capacity", () => {
  it("measures the D1 bytes per stored completion (1 KB prompt, 1 KB answer, 3 metadata pairs)", async () => {
    const { teamId } = await createTeamWithKey();
    const repo = completionsRepository(env.DB);
    const before = await databaseBytes();
    for (let batch = 0; batch < N; batch += 50) {
      const ids = await Promise.all(Array.from({ length: 50 }, () => mintCompletionId(env.ID_SECRET!)));
      const records = ids.map((id, j) => {
        const i = batch + j;
        return {
          teamId,
          id,
          created: 1_738_960_610 + i,
          model: "gpt-4o-mini-2024-07-18",
          metadata: { project: `project-${i % 7}`, user: `user-${i}`, env: "prod" },
          body: {
            id,
            object: "chat.completion" as const,
            created: 1_738_960_610 + i,
            model: "gpt-4o-mini-2024-07-18",
            choices: [{ index: 0, message: { role: "assistant" as const, content: kb(i + 1), refusal: null }, finish_reason: "stop", logprobs: null }],
            usage: { prompt_tokens: 256, completion_tokens: 256, total_tokens: 512 },
            system_fingerprint: "fp_44709d6fcb",
            service_tier: "default",
          },
          messages: [JSON.stringify({ role: "user", content: kb(i) })],
          storedAt: Date.now(),
          upstreamId: `chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG${i}`,
          upstream: "default",
        };
      });
      await repo.insertMany(records);
    }
    const perCompletion = ((await databaseBytes()) - before) / N;
    const tenGb = 10 * 1e9;
    const fits = Math.floor(tenGb / perCompletion);
    console.log(JSON.stringify({ measure: "d1_bytes_per_stored_completion", bytes: Math.round(perCompletion), fit_in_10_gb: fits, max_requests_per_second_at_30_days: +(fits / (30 * 86_400)).toFixed(1) }));
    // At least what it holds (2 KB of text), and not wildly more.
    expect(perCompletion).toBeGreaterThan(2_048);
    expect(perCompletion).toBeLessThan(20_000);
  }, 60_000);
});
