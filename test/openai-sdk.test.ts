import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTeamWithKey, drainPendingStores, workerFetch } from "./helpers/gateway";
import { MINTED_ID } from "./helpers/ids";
import { chunk, completionFixture, jsonResponse, mockUpstream, sseResponse, textStreamChunks } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

// The official SDK as a real client, with the worker's own fetch as its transport.
let client: OpenAI;
beforeAll(async () => {
  const { key } = await createTeamWithKey();
  client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(), maxRetries: 0 });
});
afterEach(restoreSpies);

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hello" },
];

describe("the official openai SDK", () => {
  it("creates, lists with auto-pagination, retrieves, updates, lists messages and deletes", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const fixture = completionFixture({ id: `chatcmpl-sdk${i}`, created: 1_700_000_000 + (i % 2) });
      const upstream = mockUpstream(() => jsonResponse(fixture));
      const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages, store: true, metadata: { run: "sdk", i: String(i) } });
      // The gateway mints the id of a stored completion.
      expect(completion.id).toMatch(MINTED_ID);
      expect(completion.choices[0].message.content).toBe("Hello there!");
      ids.push(completion.id);
      upstream.spy.mockRestore();
    }

    mockUpstream(() => sseResponse(textStreamChunks("chatcmpl-sdkstream", ["Str", "eam", "ed"])));
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true, store: true, metadata: { run: "sdk" } });
    let text = "";
    const streamIds = new Set<string>();
    for await (const part of stream) {
      text += part.choices[0]?.delta?.content ?? "";
      streamIds.add(part.id);
    }
    expect(text).toBe("Streamed");
    expect(streamIds.size).toBe(1);
    const [streamId] = streamIds;
    expect(streamId).toMatch(MINTED_ID);
    await drainPendingStores();
    ids.push(streamId);

    const listed: string[] = [];
    for await (const completion of client.chat.completions.list({ limit: 2, metadata: { run: "sdk" } })) listed.push(completion.id);
    // By created, then in the order they were made (the stream's chunks carry a later `created`).
    const expectedOrder = [ids[0], ids[2], ids[4], ids[1], ids[3], streamId];
    expect(listed).toEqual(expectedOrder);
    expect(new Set(listed)).toEqual(new Set(ids));

    const desc: string[] = [];
    for await (const completion of client.chat.completions.list({ limit: 4, order: "desc", metadata: { i: "3" } })) desc.push(completion.id);
    expect(desc).toEqual([ids[3]]);

    const retrieved = await client.chat.completions.retrieve(streamId);
    expect(retrieved.choices[0].message.content).toBe("Streamed");
    // The SDK types omit metadata on ChatCompletion, though the API returns it.
    expect((retrieved as unknown as { metadata: unknown }).metadata).toEqual({ run: "sdk" });

    const updated = await client.chat.completions.update(ids[1], { metadata: { run: "sdk", reviewed: "yes" } });
    expect((updated as unknown as { metadata: unknown }).metadata).toEqual({ run: "sdk", reviewed: "yes" });

    const stored: OpenAI.Chat.Completions.ChatCompletionStoreMessage[] = [];
    for await (const message of client.chat.completions.messages.list(ids[1], { limit: 1 })) stored.push(message);
    expect(stored.map((m) => [m.id, m.role, m.content])).toEqual([
      [`${ids[1]}-0`, "system", "Be brief."],
      [`${ids[1]}-1`, "user", "Hello"],
    ]);

    const deleted = await client.chat.completions.delete(ids[1]);
    expect(deleted).toEqual({ id: ids[1], object: "chat.completion.deleted", deleted: true });
    await expect(client.chat.completions.retrieve(ids[1])).rejects.toBeInstanceOf(OpenAI.NotFoundError);
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
    let id = "";
    await expect(
      (async () => {
        for await (const part of stream) {
          received.push(part.choices[0]?.delta?.content ?? "");
          id = part.id;
        }
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(received).toEqual(["par"]);
    expect(id).toMatch(MINTED_ID);
    await drainPendingStores();
    // A fresh id that never lands: the retrieve waits its bounded time, then 404.
    await expect(client.chat.completions.retrieve(id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
