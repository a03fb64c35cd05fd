import { call, json } from "./gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./upstream";

export interface SeedSpec {
  /** A label for the completion; the gateway mints its id (returned by seedCompletions). */
  id: string;
  created: number;
  model?: string;
  metadata?: Record<string, string>;
  messages?: unknown[];
  content?: string;
}

/**
 * Stores completions through the real create route (store: true), with a mocked upstream, one
 * after another. Returns the id the gateway minted for each spec, by its label.
 */
export async function seedCompletions(key: string, specs: SeedSpec[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const spec of specs) {
    const { spy } = mockUpstream(() =>
      jsonResponse(
        completionFixture({
          id: spec.id,
          created: spec.created,
          model: spec.model ?? "gpt-4o-mini",
          choices: [{ index: 0, message: { role: "assistant", content: spec.content ?? `answer ${spec.id}`, refusal: null }, finish_reason: "stop", logprobs: null }],
        }),
      ),
    );
    const res = await call("/v1/chat/completions", {
      key,
      body: {
        model: spec.model ?? "gpt-4o-mini",
        messages: spec.messages ?? [{ role: "user", content: `question ${spec.id}` }],
        store: true,
        metadata: spec.metadata,
      },
    }).finally(() => spy.mockRestore());
    if (res.status !== 200) throw new Error(`seed failed: ${res.status} ${await res.text()}`);
    ids[spec.id] = (await json(res)).id;
  }
  return ids;
}

/** Follows `after` through every page and returns the ids in order. */
export async function collectIds(key: string, query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const sep = query ? "&" : "";
    const res = await call(`/v1/chat/completions?${query}${sep}limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ""}`, { key });
    const body = await json(res);
    if (res.status !== 200) throw new Error(JSON.stringify(body));
    ids.push(...body.data.map((c: { id: string }) => c.id));
    if (!body.has_more) return ids;
    after = body.last_id;
  }
  throw new Error("too many pages");
}
