import OpenAI, { toFile } from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTeamWithKey, workerFetch } from "./helpers/gateway";
import { modelsEmbeddingsUsageErrors } from "./helpers/models-embeddings-usage-spec";
import { type HostCall, jsonResponse, mockTwoUpstreams, twoUpstreamsEnv } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

// The official SDK as a drop-in client of the gateway (two upstreams), with the worker's fetch as its transport.
const env = twoUpstreamsEnv();
let client: OpenAI;
let limitedClient: OpenAI;
beforeAll(async () => {
  const { key } = await createTeamWithKey();
  const limited = await createTeamWithKey({ allowed_models: ["llama3.1", "gpt-4o"] });
  client = new OpenAI({ apiKey: key, baseURL: "http://gw/v1", fetch: workerFetch(env), maxRetries: 0 });
  limitedClient = new OpenAI({ apiKey: limited.key, baseURL: "http://gw/v1", fetch: workerFetch(env), maxRetries: 0 });
});
afterEach(restoreSpies);

const modelList = (ids: string[]) => jsonResponse({ object: "list", data: ids.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "x" })) });

function mockModels() {
  return mockTwoUpstreams({ alpha: () => modelList(["gpt-4o", "gpt-4o-mini", "whisper-1"]), beta: () => modelList(["llama3.1"]) });
}

/** A 0.1 s, 8 kHz, 16-bit mono WAV of silence, made here. */
function wavFile(): Uint8Array {
  const samples = 800;
  const bytes = new Uint8Array(44 + samples * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => [...text].forEach((ch, i) => view.setUint8(offset + i, ch.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, 8000, true);
  view.setUint32(28, 16000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, samples * 2, true);
  return bytes;
}

describe("the official openai SDK against several upstreams", () => {
  it("models.list and models.retrieve, without an allow-list", async () => {
    mockModels();
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(["gpt-4o", "gpt-4o-mini", "whisper-1", "llama3.1"]);
    const model = await client.models.retrieve("llama3.1");
    expect(model).toEqual({ id: "llama3.1", object: "model", created: 1_700_000_000, owned_by: "beta" });
    expect(modelsEmbeddingsUsageErrors("Model", model)).toEqual([]);
  });

  it("models.list and models.retrieve, with an allow-list", async () => {
    mockModels();
    const page = await limitedClient.models.list();
    expect(page.data.map((m) => m.id)).toEqual(["gpt-4o", "llama3.1"]);
    expect(modelsEmbeddingsUsageErrors("ListModelsResponse", { object: "list", data: page.data })).toEqual([]);
    expect((await limitedClient.models.retrieve("gpt-4o")).owned_by).toBe("alpha");
    await expect(limitedClient.models.retrieve("gpt-4o-mini")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("embeddings.create, with the SDK's default base64 encoding", async () => {
    const vector = new Float32Array([0.25, -0.5, 0.125]);
    const base64 = btoa(String.fromCharCode(...new Uint8Array(vector.buffer)));
    const upstreams = mockTwoUpstreams({
      alpha: (call) =>
        jsonResponse({
          object: "list",
          data: [{ object: "embedding", index: 0, embedding: call.body.encoding_format === "base64" ? base64 : [...vector] }],
          model: "text-embedding-3-small",
          usage: { prompt_tokens: 2, total_tokens: 2 },
        }),
    });
    const answer = await client.embeddings.create({ model: "text-embedding-3-small", input: "hello world" });
    expect(answer.data[0].embedding).toEqual([0.25, -0.5, 0.125]);
    expect(modelsEmbeddingsUsageErrors("CreateEmbeddingResponse", answer)).toEqual([]);
    expect(upstreams.calls[0].body).toEqual({ model: "text-embedding-3-small", input: "hello world", encoding_format: "base64" });
  });

  it("moderations.create", async () => {
    const result = { flagged: false, categories: { violence: false }, category_scores: { violence: 0.0001 }, category_applied_input_types: { violence: ["text"] } };
    mockTwoUpstreams({ alpha: () => jsonResponse({ id: "modr-1", model: "omni-moderation-latest", results: [result] }) });
    const answer = await client.moderations.create({ model: "omni-moderation-latest", input: "I want to hug a kitten" });
    expect(answer.results[0].flagged).toBe(false);
    expect(answer.id).toBe("modr-1");
  });

  it("audio.transcriptions.create with a WAV file", async () => {
    const wav = wavFile();
    let received: HostCall | undefined;
    mockTwoUpstreams({
      alpha: (call) => {
        received = call;
        return jsonResponse({ text: "(silence)" });
      },
    });
    const answer = await client.audio.transcriptions.create({ file: await toFile(wav, "silence.wav", { type: "audio/wav" }), model: "whisper-1" });
    expect(answer.text).toBe("(silence)");
    expect(received!.url).toBe("http://alpha.upstream.test/v1/audio/transcriptions");
    // The file reached the upstream intact, inside the same form.
    const form = await new Request("http://x/", { method: "POST", body: received!.bytes, headers: { "content-type": received!.headers.get("content-type")! } }).formData();
    expect(form.get("model")).toBe("whisper-1");
    const file: unknown = form.get("file");
    if (!(file instanceof File)) throw new Error("no file part");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(wav);
  });

  it("images.generate", async () => {
    mockTwoUpstreams({ alpha: () => jsonResponse({ created: 1_700_000_000, data: [{ url: "https://images.example/cat.png", revised_prompt: "a cat" }] }) });
    const answer = await client.images.generate({ model: "dall-e-3", prompt: "a cat" });
    expect(answer.data?.[0].url).toBe("https://images.example/cat.png");
  });

  it("raises NotFoundError for a stateful endpoint, which never reaches the upstream", async () => {
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({}) });
    await expect(client.files.list()).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(upstreams.calls).toHaveLength(0);
  });
});
