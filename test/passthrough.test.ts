import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import worker from "../src/index";
import { readMultipartModel } from "../src/routes/passthrough/multipart-model";
import { usageOfEventStream, withReportedUsage } from "../src/usage/reported-usage";
import { BASE, call, createTeamWithKey, json } from "./helpers/gateway";
import { modelsEmbeddingsUsageErrors } from "./helpers/models-embeddings-usage-spec";
import { jsonResponse, mockTwoUpstreams, sseResponse, twoUpstreamsEnv } from "./helpers/upstream";
import { captureQueue } from "./helpers/usage";
import { restoreSpies } from "./helpers/spies";

let key: string;
let keyId: string;
beforeAll(async () => {
  ({ key, keyId } = await createTeamWithKey());
});
afterEach(restoreSpies);

const embeddingAnswer = {
  object: "list",
  data: [{ object: "embedding", index: 0, embedding: [0.0023, -0.0093, 0.0157] }],
  model: "text-embedding-3-small",
  usage: { prompt_tokens: 8, total_tokens: 8 },
};
const env2 = (extra: Record<string, unknown> = {}) => twoUpstreamsEnv({ alpha: { model_map: { "whisper-1": "whisper-large-v3" } }, extra });

const decoder = new TextDecoder();

/** A multipart form as the SDK sends it, with its fields in the order given. */
async function formBytes(fields: [string, string | Blob, string?][]): Promise<{ bytes: Uint8Array; contentType: string }> {
  const form = new FormData();
  for (const [name, value, filename] of fields) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, filename);
  }
  const request = new Request("http://x/", { method: "POST", body: form });
  return { bytes: new Uint8Array(await request.arrayBuffer()), contentType: request.headers.get("content-type")! };
}

const audio = new Blob([new Uint8Array(40_000).map((_, i) => (i * 7) % 256)], { type: "audio/wav" });

/** Posts a form to the worker as a stream in small pieces, with its length declared, as a real client does. */
async function postForm(path: string, form: { bytes: Uint8Array; contentType: string }, options: { key?: string; env?: Record<string, unknown> } = {}) {
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= form.bytes.length) return controller.close();
      controller.enqueue(form.bytes.slice(offset, offset + 4096));
      offset += 4096;
    },
  });
  const request = new Request(BASE + path, {
    method: "POST",
    headers: { authorization: `Bearer ${options.key ?? key}`, "content-type": form.contentType, "content-length": String(form.bytes.length) },
    body,
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...env2(), ...options.env } as Cloudflare.Env, ctx);
  const bytes = new Uint8Array(await response.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { response, bytes };
}

describe("POST /v1/embeddings", () => {
  it("passes the body through to the upstream of the model, with that upstream's key, and the answer back untouched", async () => {
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(embeddingAnswer, 200, { "x-request-id": "req_emb" }) });
    const request = { model: "text-embedding-3-small", input: ["hello", "world"], dimensions: 3, encoding_format: "float", vendor_extra: { a: 1 } };
    const res = await call("/v1/embeddings", { key, body: request, env: env2() });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toBe(JSON.stringify(embeddingAnswer));
    expect(modelsEmbeddingsUsageErrors("CreateEmbeddingResponse", JSON.parse(text))).toEqual([]);
    expect([res.headers.get("x-gateway-upstream"), res.headers.get("x-gateway-attempts"), res.headers.get("x-request-id")]).toEqual(["alpha", "1", "req_emb"]);
    expect(upstreams.calls).toHaveLength(1);
    expect(upstreams.calls[0].url).toBe("http://alpha.upstream.test/v1/embeddings");
    expect(upstreams.calls[0].body).toEqual(request);
    expect(upstreams.calls[0].headers.get("authorization")).toBe("Bearer sk-alpha-secret");
    expect(JSON.stringify([...upstreams.calls[0].headers])).not.toContain(key);
    expect(JSON.stringify([...res.headers])).not.toContain("sk-alpha-secret");
  });

  it("renames the model with model_map, falls back on 503, and passes a 400 through without retrying", async () => {
    let upstreams = mockTwoUpstreams({ beta: () => jsonResponse(embeddingAnswer) });
    await call("/v1/embeddings", { key, body: { model: "llama3", input: "x" }, env: env2() });
    expect(upstreams.calls[0].body.model).toBe("meta-llama/Llama-3-8B");
    upstreams.spy.mockRestore();

    upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ error: { message: "busy" } }, 503), beta: () => jsonResponse(embeddingAnswer) });
    const fallback = await call("/v1/embeddings", { key, body: { model: "shared-embed", input: "x" }, env: env2({ RETRY_ATTEMPTS: "1" }) });
    expect([fallback.status, fallback.headers.get("x-gateway-upstream"), upstreams.calls.length]).toEqual([200, "beta", 2]);
    upstreams.spy.mockRestore();

    upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ error: { message: "bad input", type: "invalid_request_error", param: "input", code: null } }, 400) });
    const bad = await call("/v1/embeddings", { key, body: { model: "shared-embed", input: "x" }, env: env2() });
    expect([bad.status, upstreams.calls.length, (await json(bad)).error.param]).toEqual([400, 1, "input"]);
  });

  it("refuses a model outside the key's allow-list, one no upstream takes, and a body without model, before any upstream call", async () => {
    const limited = await createTeamWithKey({ allowed_models: ["gpt-4o-mini"] });
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(embeddingAnswer) });
    const forbidden = await call("/v1/embeddings", { key: limited.key, body: { model: "text-embedding-3-small", input: "x" }, env: env2() });
    expect([forbidden.status, (await json(forbidden)).error.code]).toEqual([403, "model_not_allowed"]);
    const unknown = await call("/v1/embeddings", { key, body: { model: "voyage-3", input: "x" }, env: env2() });
    expect([unknown.status, (await json(unknown)).error.code]).toEqual([404, "model_not_found"]);
    const missing = await call("/v1/embeddings", { key, body: { input: "x" }, env: env2() });
    expect([missing.status, (await json(missing)).error.param]).toEqual([400, "model"]);
    expect(upstreams.calls).toHaveLength(0);
  });

  it("answers 413 past MAX_BODY_BYTES", async () => {
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(embeddingAnswer) });
    const res = await call("/v1/embeddings", { key, body: { model: "text-embedding-3-small", input: "x".repeat(2_000) }, env: env2({ MAX_BODY_BYTES: "1000" }) });
    expect([res.status, (await json(res)).error.code]).toEqual([413, "request_too_large"]);
    expect(upstreams.calls).toHaveLength(0);
  });
});

describe("the other JSON endpoints", () => {
  it("streams a legacy completion through as the upstream sends it", async () => {
    const events = [
      { id: "cmpl-1", object: "text_completion", created: 1, model: "gpt-3.5-turbo-instruct", choices: [{ text: "Hi", index: 0, logprobs: null, finish_reason: null }] },
      { id: "cmpl-1", object: "text_completion", created: 1, model: "gpt-3.5-turbo-instruct", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } },
    ];
    const upstreams = mockTwoUpstreams({ alpha: () => sseResponse(events) });
    const res = await call("/v1/completions", { key, body: { model: "gpt-3.5-turbo-instruct", prompt: "Say hi", stream: true, stream_options: { include_usage: true } }, env: env2() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(await res.text()).toBe(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n");
    expect(upstreams.calls[0].url).toBe("http://alpha.upstream.test/v1/completions");
  });

  it("routes a moderation without a model by OpenAI's default, and sends the body as it came", async () => {
    const answer = { id: "modr-1", model: "omni-moderation-latest", results: [{ flagged: false, categories: {}, category_scores: {}, category_applied_input_types: {} }] };
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(answer) });
    const res = await call("/v1/moderations", { key, body: { input: "I love kittens" }, env: env2() });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual(answer);
    expect(upstreams.calls[0].body).toEqual({ input: "I love kittens" });
    expect(upstreams.calls[0].url).toBe("http://alpha.upstream.test/v1/moderations");
  });

  it("passes image generations through", async () => {
    const answer = { created: 1_700_000_000, data: [{ url: "https://images.example/1.png" }] };
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse(answer) });
    const res = await call("/v1/images/generations", { key, body: { model: "dall-e-3", prompt: "a cat", n: 1 }, env: env2() });
    expect(await json(res)).toEqual(answer);
    expect(upstreams.calls[0].url).toBe("http://alpha.upstream.test/v1/images/generations");
  });

  it("streams generated speech through as binary, byte for byte", async () => {
    const mp3 = new Uint8Array(100_000).map((_, i) => (i * 31) % 256);
    const upstreams = mockTwoUpstreams({ alpha: () => new Response(mp3, { headers: { "content-type": "audio/mpeg" } }) });
    const res = await call("/v1/audio/speech", { key, body: { model: "tts-1", input: "Hello", voice: "alloy" }, env: env2(), headers: { accept: "application/octet-stream" } });
    expect([res.status, res.headers.get("content-type"), res.headers.get("x-gateway-upstream")]).toEqual([200, "audio/mpeg", "alpha"]);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(mp3);
    expect(upstreams.calls[0].url).toBe("http://alpha.upstream.test/v1/audio/speech");
    expect(upstreams.calls[0].headers.get("accept")).toBe("application/octet-stream");
  });
});

describe("POST /v1/audio/transcriptions and translations (multipart)", () => {
  it("streams a form whose model comes first through unchanged, and does not retry it", async () => {
    const form = await formBytes([
      ["model", "whisper-2"],
      ["file", audio, "speech.wav"],
      ["language", "en"],
    ]);
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ error: { message: "busy" } }, 503) });
    const { response } = await postForm("/v1/audio/transcriptions", form);
    expect(response.status).toBe(503);
    expect(upstreams.calls).toHaveLength(1);
    expect(upstreams.calls[0].url).toBe("http://alpha.upstream.test/v1/audio/transcriptions");
    expect(upstreams.calls[0].bytes).toEqual(form.bytes);
    expect(upstreams.calls[0].headers.get("content-type")).toBe(form.contentType);
    expect(upstreams.calls[0].headers.get("authorization")).toBe("Bearer sk-alpha-secret");
    expect(response.headers.get("x-gateway-attempts")).toBe("1");
  });

  it("retries a form whose model comes last: it has been read whole anyway", async () => {
    const form = await formBytes([
      ["file", audio, "speech.wav"],
      ["model", "whisper-2"],
    ]);
    let n = 0;
    const upstreams = mockTwoUpstreams({ alpha: () => (++n === 1 ? jsonResponse({ error: { message: "busy" } }, 503) : jsonResponse({ text: "hello" })) });
    const { response, bytes } = await postForm("/v1/audio/translations", form);
    expect(response.status).toBe(200);
    expect(JSON.parse(decoder.decode(bytes))).toEqual({ text: "hello" });
    expect(upstreams.calls.map((c) => c.bytes)).toEqual([form.bytes, form.bytes]);
    expect(upstreams.calls[0].url).toBe("http://alpha.upstream.test/v1/audio/translations");
  });

  it("renames the model field with model_map, keeping the rest of the form byte for byte", async () => {
    const form = await formBytes([
      ["model", "whisper-1"],
      ["file", audio, "speech.wav"],
    ]);
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ text: "hi" }) });
    const { response } = await postForm("/v1/audio/transcriptions", form);
    expect(response.status).toBe(200);
    const expected = decoder.decode(form.bytes).replace(/(name="model"\r\n\r\n)whisper-1/, "$1whisper-large-v3");
    expect(upstreams.calls[0].bytes.length).toBe(form.bytes.length + "whisper-large-v3".length - "whisper-1".length);
    expect(decoder.decode(upstreams.calls[0].bytes)).toBe(expected);
  });

  it("answers 400 for a form without a model and for a body that is not a form, 403 outside the allow-list, 413 past MAX_BODY_BYTES", async () => {
    const upstreams = mockTwoUpstreams({ alpha: () => jsonResponse({ text: "hi" }) });
    const noModel = await postForm("/v1/audio/transcriptions", await formBytes([["file", audio, "speech.wav"]]));
    expect([noModel.response.status, JSON.parse(decoder.decode(noModel.bytes)).error.param]).toEqual([400, "model"]);
    const notAForm = await call("/v1/audio/transcriptions", { key, body: { model: "whisper-1" }, env: env2() });
    expect([notAForm.status, (await json(notAForm)).error.code]).toEqual([400, "invalid_content_type"]);
    const limited = await createTeamWithKey({ allowed_models: ["gpt-4o"] });
    const forbidden = await postForm("/v1/audio/transcriptions", await formBytes([["model", "whisper-1"], ["file", audio, "a.wav"]]), { key: limited.key });
    expect(forbidden.response.status).toBe(403);
    const tooLarge = await postForm("/v1/audio/transcriptions", await formBytes([["model", "whisper-1"], ["file", audio, "a.wav"]]), { env: { MAX_BODY_BYTES: "1000" } });
    expect(tooLarge.response.status).toBe(413);
    expect(upstreams.calls).toHaveLength(0);
  });
});

describe("reading a form up to its model", () => {
  const stream = (bytes: Uint8Array, piece: number) => {
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(offset, offset + piece));
        offset += piece;
      },
    });
  };
  const boundaryOf = (contentType: string) => contentType.split("boundary=")[1];

  it("finds the model whatever the read sizes, and rebuilds the same bytes", async () => {
    const form = await formBytes([
      ["file", audio, "model.wav"],
      ["prompt", 'name="model"'],
      ["model", "whisper-1"],
      ["temperature", "0"],
    ]);
    for (const piece of [5, 7, 64, 1000, form.bytes.length]) {
      const read = await readMultipartModel(stream(form.bytes, piece), boundaryOf(form.contentType), 1e9);
      expect(read.model).toBe("whisper-1");
      const body = read.body("whisper-1");
      const bytes = body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer());
      expect(bytes).toEqual(form.bytes);
    }
  });

  it("stops reading at the model when it comes first", async () => {
    const form = await formBytes([
      ["model", "whisper-1"],
      ["file", audio, "a.wav"],
    ]);
    let pulled = 0;
    const counting = stream(form.bytes, 512).pipeThrough(new TransformStream({ transform: (chunk, c) => { pulled += chunk.length; c.enqueue(chunk); } }));
    const read = await readMultipartModel(counting, boundaryOf(form.contentType), 1e9);
    expect(read.replayable).toBe(false);
    expect(pulled).toBeLessThan(form.bytes.length / 2);
  });
});

describe("usage reported by a passed-through answer", () => {
  it("is read from embeddings and legacy completions, JSON or streamed", async () => {
    // As the pass-through reads it: the client's half goes on, the usage comes from the copy.
    const reported = async (text: string, contentType: string) => {
      const { body, usage } = withReportedUsage(new Response(text).body!, contentType);
      expect(await new Response(body).text()).toBe(text);
      return usage;
    };
    expect(await reported(JSON.stringify(embeddingAnswer), "application/json")).toEqual({ inputTokens: 8, cachedInputTokens: 0, outputTokens: 0 });
    const sse = `data: {"choices":[{"text":"a"}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1}}}\n\ndata: [DONE]\n\n`;
    expect(usageOfEventStream(sse)).toEqual({ inputTokens: 3, cachedInputTokens: 1, outputTokens: 2 });
    expect(await reported(sse, "text/event-stream")).toEqual({ inputTokens: 3, cachedInputTokens: 1, outputTokens: 2 });
    expect(await reported("not json", "application/json")).toBeNull();
  });

  it("reaches the request-finished record, and so the usage queue, for embeddings, legacy completions, images and transcriptions", async () => {
    const captured = captureQueue();
    mockTwoUpstreams({
      alpha: (c) =>
        c.url.endsWith("/embeddings")
          ? jsonResponse(embeddingAnswer)
          : c.url.endsWith("/completions")
            ? jsonResponse({ id: "cmpl-1", object: "text_completion", created: 1, model: "gpt-3.5-turbo-instruct", choices: [], usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } })
            : c.url.endsWith("/images/generations")
              ? jsonResponse({ created: 1, data: [{ b64_json: "AAAA" }], usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210, input_tokens_details: { text_tokens: 50, image_tokens: 0 } } })
              : jsonResponse({ text: "hi" }),
    });
    await call("/v1/embeddings", { key, body: { model: "text-embedding-3-small", input: "x" }, env: env2(captured.env) });
    await call("/v1/completions", { key, body: { model: "gpt-3.5-turbo-instruct", prompt: "x" }, env: env2(captured.env) });
    await call("/v1/images/generations", { key, body: { model: "gpt-image-1", prompt: "a cat" }, env: env2(captured.env) });
    await postForm("/v1/audio/transcriptions", await formBytes([["model", "whisper-1"], ["file", audio, "a.wav"]]), { env: captured.env });
    const events = captured.messages.map((m) => (m.kind === "usage" ? m.event : null));
    expect(events.map((e) => e && [e.kind, e.model, e.upstream, e.inputTokens, e.outputTokens, e.unknownUsage])).toEqual([
      ["embeddings", "text-embedding-3-small", "alpha", 8, 0, false],
      ["completions", "gpt-3.5-turbo-instruct", "alpha", 4, 6, false],
      ["images", "gpt-image-1", "alpha", 50, 4160, false],
      // A plain-JSON transcription that reports no seconds: its quantity is unknown, not zero.
      ["audio_transcriptions", "whisper-1", "alpha", 0, 0, true],
    ]);
    expect(events.map((e) => e?.keyId)).toEqual([keyId, keyId, keyId, keyId]);
  });

  it("is read from a copy: the client's bytes are the upstream's", async () => {
    const text = JSON.stringify(embeddingAnswer);
    const { body, usage } = withReportedUsage(new Response(text).body!, "application/json");
    expect(await new Response(body).text()).toBe(text);
    expect(await usage).toEqual({ inputTokens: 8, cachedInputTokens: 0, outputTokens: 0 });
  });
});

