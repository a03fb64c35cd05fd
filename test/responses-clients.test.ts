import { createOpenAI } from "@ai-sdk/openai";
import { Agent, OpenAIConversationsSession, OpenAIResponsesModel, run, setTracingDisabled, tool } from "@openai/agents";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTeamWithKey, drainPendingStores, workerFetch } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream, sseResponse, textStreamChunks } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

// Real clients of the Responses API, unchanged, through the worker, on a chat upstream: the AI
// SDK's default provider and the OpenAI Agents SDK.

let key: string;
let client: OpenAI;
/** The same client as the Agents SDK types it: it depends on its own copy of the openai package. */
const agentsClient = () => client as unknown as ConstructorParameters<typeof OpenAIResponsesModel>[0];
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
  client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(), maxRetries: 0 });
  // The Agents SDK would export traces to OpenAI's servers.
  setTracingDisabled(true);
});
afterEach(restoreSpies);

const answer = (content: string) =>
  jsonResponse(completionFixture({ choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }] }));

const toolCall = (id: string, name: string, args: string) =>
  jsonResponse(completionFixture({ choices: [{ index: 0, finish_reason: "tool_calls", logprobs: null, message: { role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name, arguments: args } }] } }] }));

describe("the AI SDK's default provider (Responses API)", () => {
  const provider = () => createOpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch() });

  it("generateText over two turns; the second sends an item_reference, which the gateway resolves", async () => {
    const bodies: any[] = [];
    const upstream = mockUpstream((c) => {
      bodies.push(c.body);
      return answer(c.body.messages.length === 1 ? "Paris." : "About 2 million.");
    });
    const openai = provider();
    const first = await generateText({ model: openai("gpt-4o-mini"), prompt: "Capital of France?" });
    expect(first.text).toBe("Paris.");
    const second = await generateText({ model: openai("gpt-4o-mini"), messages: [{ role: "user", content: "Capital of France?" }, ...first.response.messages, { role: "user", content: "Population?" }] });
    expect(second.text).toBe("About 2 million.");
    expect(upstream.calls.length).toBe(2);
    // The request the SDK sent referred to the stored answer; the chat upstream got its text.
    expect(bodies[1].messages).toEqual([
      { role: "user", content: "Capital of France?" },
      { role: "assistant", content: "Paris." },
      { role: "user", content: "Population?" },
    ]);
  });

  it("the second turn's request carries the item_reference (what the gateway expanded)", async () => {
    const sent: any[] = [];
    const gatewayFetch = workerFetch();
    const openai = createOpenAI({
      apiKey: key,
      baseURL: "http://gw/v1",
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        sent.push(JSON.parse(String(init?.body)));
        return gatewayFetch(input, init);
      }) as typeof fetch,
    });
    mockUpstream(() => answer("ok"));
    const first = await generateText({ model: openai("gpt-4o-mini"), prompt: "a" });
    await generateText({ model: openai("gpt-4o-mini"), messages: [{ role: "user", content: "a" }, ...first.response.messages, { role: "user", content: "b" }] });
    expect(sent[1].input).toContainEqual({ type: "item_reference", id: expect.stringMatching(/^msg_/) });
  });

  it("streamText", async () => {
    mockUpstream(() => sseResponse(textStreamChunks("c", ["Hel", "lo", "!"])));
    const result = streamText({ model: provider()("gpt-4o-mini"), prompt: "Hi" });
    let text = "";
    for await (const piece of result.textStream) text += piece;
    await drainPendingStores();
    expect(text).toBe("Hello!");
    expect((await result.usage).outputTokens).toBe(3);
  });
});

describe("the OpenAI Agents SDK", () => {
  const weather = tool({
    name: "get_weather",
    description: "The weather in a city",
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => `Sunny in ${city}`,
  });
  const agent = () => new Agent({ name: "Assistant", instructions: "Answer briefly.", tools: [weather], model: new OpenAIResponsesModel(agentsClient(), "gpt-4o-mini") });

  it("runs an agent with one function tool to its final answer on a chat upstream", async () => {
    const upstream = mockUpstream((c) => (c.body.messages.at(-1).role === "tool" ? answer(`Done: ${c.body.messages.at(-1).content}`) : toolCall("call_w", "get_weather", '{"city":"Oslo"}')));
    const result = await run(agent(), "Weather in Oslo?");
    expect(result.finalOutput).toBe("Done: Sunny in Oslo");
    expect(upstream.calls[0].body.tools[0].function.name).toBe("get_weather");
  });

  it("keeps its history in a conversation session", async () => {
    const upstream = mockUpstream((c) => answer(`I saw ${c.body.messages.filter((m: any) => m.role === "user").length} user messages`));
    const session = new OpenAIConversationsSession({ client: agentsClient() });
    const first = await run(agent(), "Hello", { session });
    expect(first.finalOutput).toBe("I saw 1 user messages");
    const second = await run(agent(), "Again", { session });
    expect(second.finalOutput).toBe("I saw 2 user messages");
    expect(upstream.calls[1].body.messages.filter((m: any) => m.role === "user").map((m: any) => m.content)).toEqual(["Hello", "Again"]);
    const items = await session.getItems();
    expect(items.length).toBe(4);
  });
});
