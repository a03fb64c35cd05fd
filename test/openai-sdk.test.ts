import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTeamWithKey, drainPendingStores, workerFetch } from "./helpers/gateway";
import { chunk, completionFixture, jsonResponse, mockUpstream, sseResponse, textStreamChunks } from "./helpers/upstream";

// The official SDK as a real client, with the worker's own fetch as its transport.
let client: OpenAI;
beforeAll(async () => {
  const { key } = await createTeamWithKey();
  client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(), maxRetries: 0 });
});
afterEach(() => vi.restoreAllMocks());

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hello" },
];

describe("the official openai SDK", () => {
  it("creates, lists with auto-pagination, retrieves, updates, lists messages and deletes", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const fixture = completionFixture({ id: `chatcmpl-sdk${i}`, created: 1_700_000_000 + (i % 2) });
      mockUpstream(() => jsonResponse(fixture));
      const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages, store: true, metadata: { run: "sdk", i: String(i) } });
      expect(completion.id).toBe(fixture.id);
      expect(completion.choices[0].message.content).toBe("Hello there!");
      ids.push(completion.id);
      vi.restoreAllMocks();
    }

    mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-sdkstream", ["Str", "eam", "ed"])));
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true, store: true, metadata: { run: "sdk" } });
    let text = "";
    // A stored stream carries the id the gateway minted, in every chunk.
    const streamIds = new Set<string>();
    for await (const part of stream) {
      text += part.choices[0]?.delta?.content ?? "";
      streamIds.add(part.id);
    }
    expect(text).toBe("Streamed");
    expect(streamIds.size).toBe(1);
    const [streamId] = streamIds;
    expect(streamId).toMatch(/^chatcmpl-/);
    await drainPendingStores();
    ids.push(streamId);

    const listed: string[] = [];
    for await (const completion of client.chat.completions.list({ limit: 2, metadata: { run: "sdk" } })) listed.push(completion.id);
    const expectedOrder = ["chatcmpl-sdk0", "chatcmpl-sdk2", "chatcmpl-sdk4", "chatcmpl-sdk1", "chatcmpl-sdk3", streamId];
    expect(listed.slice(0, 5)).toEqual(expectedOrder.slice(0, 5));
    expect(new Set(listed)).toEqual(new Set(ids));

    const desc: string[] = [];
    for await (const completion of client.chat.completions.list({ limit: 4, order: "desc", metadata: { i: "3" } })) desc.push(completion.id);
    expect(desc).toEqual(["chatcmpl-sdk3"]);

    const retrieved = await client.chat.completions.retrieve(streamId);
    expect(retrieved.choices[0].message.content).toBe("Streamed");
    // The SDK types omit metadata on ChatCompletion, though the API returns it.
    expect((retrieved as unknown as { metadata: unknown }).metadata).toEqual({ run: "sdk" });

    const updated = await client.chat.completions.update("chatcmpl-sdk1", { metadata: { run: "sdk", reviewed: "yes" } });
    expect((updated as unknown as { metadata: unknown }).metadata).toEqual({ run: "sdk", reviewed: "yes" });

    const stored: OpenAI.Chat.Completions.ChatCompletionStoreMessage[] = [];
    for await (const message of client.chat.completions.messages.list("chatcmpl-sdk1", { limit: 1 })) stored.push(message);
    expect(stored.map((m) => [m.id, m.role, m.content])).toEqual([
      ["chatcmpl-sdk1-0", "system", "Be brief."],
      ["chatcmpl-sdk1-1", "user", "Hello"],
    ]);

    const deleted = await client.chat.completions.delete("chatcmpl-sdk1");
    expect(deleted).toEqual({ id: "chatcmpl-sdk1", object: "chat.completion.deleted", deleted: true });
    await expect(client.chat.completions.retrieve("chatcmpl-sdk1")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("raises the SDK's errors for bad input and bad keys", async () => {
    await expect(client.chat.completions.list({ limit: 500 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const stranger = new OpenAI({ apiKey: "sk-gw-nope", baseURL: "http://gw/v1", fetch: workerFetch(), maxRetries: 0 });
    await expect(stranger.chat.completions.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("raises an error when the upstream stream breaks mid-way", async () => {
    mockUpstream(() => sseResponse([chunk("chatcmpl-broken", { content: "par" }), chunk("chatcmpl-broken", { content: "tial" })], { breakAfter: 1 }));
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true, store: true });
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const part of stream) received.push(part.choices[0]?.delta?.content ?? "");
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(received).toEqual(["par"]);
    await drainPendingStores();
    await expect(client.chat.completions.retrieve("chatcmpl-broken")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
