import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../src/config";
import { imagePriceNanos, priceRequest } from "../src/usage/pricing";
import { ADMIN_TOKEN, call, createTeamWithKey, json } from "./helpers/gateway";
import { UPSTREAM } from "./helpers/upstream";
import { usageSpecErrors } from "./helpers/usage-spec";
import { captureQueue, deliver } from "./helpers/usage";

// Images, speech, transcriptions and moderations: priced, counted against budgets, and listed by the
// usage and costs APIs in OpenAI's shapes. No endpoint is free by accident.

const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
const today = now - (now % DAY);

const PRICES = JSON.stringify({
  "dall-e-3": { per_image: { "1024x1024": { standard: 0.04, hd: 0.08 }, "1792x1024": { standard: 0.08, hd: 0.12 } } },
  "tts-1": { per_mchar: 15 },
  "omni-moderation-latest": { input_per_mtok: 0, output_per_mtok: 0 },
});

/** The upstream's answers, by path; request bodies (multipart included) are not parsed. */
function mockMediaUpstream(answers: Record<string, () => Response>) {
  const calls: string[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (!request.url.startsWith(UPSTREAM)) throw new TypeError(`unexpected fetch to ${request.url}`);
    await request.arrayBuffer();
    const path = request.url.slice(UPSTREAM.length);
    calls.push(path);
    const answer = answers[path];
    if (!answer) throw new TypeError(`no answer for ${path}`);
    return answer();
  });
  return { calls, spy };
}

const jsonAnswer = (body: unknown) => () => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

/** A multipart form of text fields and a small "file", as bytes that are valid UTF-8 (call() sends strings). */
async function form(fields: Record<string, string>): Promise<{ body: string; contentType: string }> {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  data.append("file", new Blob(["RIFF....WAVEfmt "], { type: "audio/wav" }), "a.wav");
  const request = new Request("http://x/", { method: "POST", body: data });
  return { body: await request.text(), contentType: request.headers.get("content-type")! };
}

async function usage(path: string, query: string) {
  const res = await call(`/v1/organization/${path}?${query}`, { key: ADMIN_TOKEN });
  expect(res.status, path).toBe(200);
  return json(res);
}

describe("PRICES for media", () => {
  it("takes per_image by size and quality, per_minute and per_mchar, with or without token prices", () => {
    const config = parseConfig({ ID_SECRET: "a-test-secret-of-some-length", PRICES });
    expect(config.usage.prices["dall-e-3"].per_image).toEqual({ "1024x1024": { standard: 0.04, hd: 0.08 }, "1792x1024": { standard: 0.08, hd: 0.12 } });
    expect(config.usage.prices["tts-1"]).toEqual({ per_mchar: 15 });
    expect(config.usage.defaultRequestNanoUsd).toBe(10_000_000);
    expect(() => parseConfig({ ID_SECRET: "a-test-secret-of-some-length", PRICES: '{"m":{"per_image":{"1024x1024":-1}}}' })).toThrow(/^PRICES .* at 'm\.per_image/);
    expect(() => parseConfig({ ID_SECRET: "a-test-secret-of-some-length", PRICES: '{"m":{"per_minute":0.006,"input_per_mtok":1}}' })).toThrow(/at 'm\.output_per_mtok'/);
    expect(() => parseConfig({ ID_SECRET: "a-test-secret-of-some-length", LIMITS_DEFAULT_REQUEST_USD: "-1" })).toThrow(/^LIMITS_DEFAULT_REQUEST_USD /);
  });

  it("prices an image by its size, then its quality, and names none it does not know", () => {
    const price = { "1024x1024": { standard: 0.04, hd: 0.08 }, "256x256": 0.016 };
    expect(imagePriceNanos(price, "1024x1024", "hd")).toBe(80_000_000);
    expect(imagePriceNanos(price, "256x256", "hd")).toBe(16_000_000);
    expect(imagePriceNanos(price, "1024x1024", "ultra")).toBeNull();
    expect(imagePriceNanos(price, "512x512", "standard")).toBeNull();
    expect(imagePriceNanos(0.02, undefined, undefined)).toBe(20_000_000);
  });

  it("prices whisper-1 per second from the price database, and never its tokens as free", () => {
    const minute = priceRequest("audio_transcriptions", "whisper-1", { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, seconds: 60 }, null, {});
    // $0.36 per hour in @pydantic/genai-prices: $0.006 a minute.
    expect(minute).toMatchObject({ priced: true, known: true, units: 60, unitsNanoUsd: 6_000_000 });
    expect(priceRequest("audio_transcriptions", "whisper-1", null, null, {})).toMatchObject({ priced: true, known: false, unitsNanoUsd: 0 });
    // Not priced per image anywhere: unpriced, never $0 by accident.
    expect(priceRequest("images", "dall-e-2", null, { units: 1, size: "1024x1024", quality: "standard" }, {})).toMatchObject({ priced: false, known: true, units: 1 });
  });
});

describe("media requests through the gateway", () => {
  it("counts images, speech characters, audio seconds and moderations, prices them, and lists them as OpenAI's usage and costs APIs do", async () => {
    const { teamId, key } = await createTeamWithKey();
    const captured = captureQueue();
    const upstream = mockMediaUpstream({
      "/images/generations": jsonAnswer({ created: 1, data: [{ url: "https://x/1.png" }] }),
      "/audio/speech": () => new Response(new Uint8Array([1, 2, 3]), { headers: { "content-type": "audio/mpeg" } }),
      "/audio/transcriptions": jsonAnswer({ text: "hello", usage: { type: "duration", seconds: 90 } }),
      "/audio/translations": jsonAnswer({ task: "translate", language: "english", duration: 30.5, text: "hello" }),
      "/moderations": jsonAnswer({ id: "modr-1", model: "omni-moderation-latest", results: [{ flagged: false }] }),
    });
    const envs = { ...captured.env, PRICES };
    const send = async (path: string, body: unknown, headers?: Record<string, string>) => {
      const res = await call(path, { key, body, headers, env: envs });
      expect(res.status, path).toBe(200);
    };
    await send("/v1/images/generations", { model: "dall-e-3", prompt: "a cat", n: 2 });
    await send("/v1/images/generations", { model: "dall-e-3", prompt: "a wide cat", size: "1792x1024", quality: "hd" });
    await send("/v1/images/generations", { model: "dall-e-2", prompt: "an unpriced cat" });
    await send("/v1/audio/speech", { model: "tts-1", voice: "alloy", input: "Hello, wörld! 👋" });
    const transcription = await form({ model: "whisper-1" });
    await send("/v1/audio/transcriptions", transcription.body, { "content-type": transcription.contentType });
    const translation = await form({ model: "whisper-1", response_format: "verbose_json" });
    await send("/v1/audio/translations", translation.body, { "content-type": translation.contentType });
    await send("/v1/moderations", { input: "is this fine?" });
    upstream.spy.mockRestore();
    expect(upstream.calls).toHaveLength(7);
    await deliver(captured.messages);

    const q = `start_time=${today}&end_time=${today + DAY}&project_ids=${teamId}`;
    const images = await usage("usage/images", `${q}&group_by=model,size,source`);
    expect(usageSpecErrors("UsageResponse", images)).toEqual([]);
    const byImage = images.data[0].results.map((r: any) => [r.model, r.size, r.source, r.images, r.num_model_requests]).sort();
    expect(byImage).toEqual([
      ["dall-e-2", "1024x1024", "image.generation", 1, 1],
      ["dall-e-3", "1024x1024", "image.generation", 2, 1],
      ["dall-e-3", "1792x1024", "image.generation", 1, 1],
    ]);
    const onlyWide = await usage("usage/images", `${q}&sizes=1792x1024`);
    expect(onlyWide.data[0].results.map((r: any) => [r.images, r.size, r.source])).toEqual([[1, null, null]]);
    expect((await usage("usage/images", `${q}&sources=image.edit`)).data[0].results).toEqual([]);

    const speeches = await usage("usage/audio_speeches", `${q}&group_by=model`);
    expect(usageSpecErrors("UsageResponse", speeches)).toEqual([]);
    // 15 characters, the emoji one of them.
    expect(speeches.data[0].results).toEqual([expect.objectContaining({ object: "organization.usage.audio_speeches.result", characters: 15, num_model_requests: 1, model: "tts-1" })]);

    const transcriptions = await usage("usage/audio_transcriptions", q);
    expect(usageSpecErrors("UsageResponse", transcriptions)).toEqual([]);
    // 90 s reported as usage, 30.5 s as a duration (counted as 31).
    expect(transcriptions.data[0].results).toEqual([expect.objectContaining({ object: "organization.usage.audio_transcriptions.result", seconds: 121, num_model_requests: 2 })]);

    const moderations = await usage("usage/moderations", q);
    expect(usageSpecErrors("UsageResponse", moderations)).toEqual([]);
    expect(moderations.data[0].results).toEqual([expect.objectContaining({ object: "organization.usage.moderations.result", num_model_requests: 1 })]);

    const costsRes = await call(`/v1/organization/costs?${q}&group_by=line_item`, { key: ADMIN_TOKEN });
    expect(costsRes.headers.get("x-gateway-unpriced-models")).toBe("dall-e-2");
    const costs = await json(costsRes);
    expect(usageSpecErrors("UsageResponse", costs)).toEqual([]);
    const items = Object.fromEntries(costs.data[0].results.filter((r: any) => r.quantity > 0).map((r: any) => [r.line_item, [r.amount.value, r.quantity, r.quantity_unit]]));
    expect(items).toEqual({
      // 2 × $0.04 + 1 × $0.12.
      "dall-e-3, images": [0.2, 3, "images"],
      "dall-e-2, images": [0, 1, "images"],
      "dall-e-2, unpriced": [0, 1, "images"],
      // 15 characters at $15 per million.
      "tts-1, speech characters": [0.000225, 15, "characters"],
      // 121 seconds at $0.006 a minute.
      "whisper-1, audio seconds": [0.0121, 121, "duration_seconds"],
    });
    const total = await json(await call(`/v1/organization/costs?${q}`, { key: ADMIN_TOKEN }));
    expect(total.data[0].results[0].amount.value).toBe(0.212325);
  });

  it("answers every usage endpoint in OpenAI's shape, empty buckets included", async () => {
    const q = `start_time=${today - 3 * DAY}&end_time=${today}&bucket_width=1d`;
    for (const path of ["usage/completions", "usage/embeddings", "usage/moderations", "usage/images", "usage/audio_speeches", "usage/audio_transcriptions", "costs"]) {
      const body = await usage(path, q);
      expect(body.data, path).toHaveLength(3);
      expect(usageSpecErrors("UsageResponse", body), path).toEqual([]);
    }
    const badGroup = await call(`/v1/organization/usage/audio_speeches?${q}&group_by=size`, { key: ADMIN_TOKEN });
    expect(badGroup.status).toBe(400);
    expect((await json(badGroup)).error.param).toBe("group_by");
  });
});

describe("a budget and requests that have no price", () => {
  it("admits an unpriced request at the default estimate and keeps it charged, never as $0", async () => {
    const team = await json(await call("/admin/teams", { key: ADMIN_TOKEN, body: { name: "unpriced", max_budget_usd: 0.025 } }));
    const { key } = await json(await call(`/admin/teams/${team.id}/keys`, { key: ADMIN_TOKEN, body: {} }));
    const upstream = mockMediaUpstream({ "/images/generations": jsonAnswer({ created: 1, data: [{ url: "https://x/1.png" }] }) });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call("/v1/images/generations", { key, body: { model: "dall-e-2", prompt: "a cat" } })).status);
    }
    upstream.spy.mockRestore();
    // $0.01 (LIMITS_DEFAULT_REQUEST_USD) each: two fit in $0.025, a third does not.
    expect(statuses).toEqual([200, 200, 429]);
    expect(upstream.calls).toHaveLength(2);
    const stub = env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(team.id));
    const spend = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ nano_usd: number }>("SELECT nano_usd FROM spend WHERE scope = 'team'").toArray()[0]);
    expect(spend).toEqual({ nano_usd: 20_000_000 });
  });

  it("reserves a priced image at its price, by size and quality", async () => {
    const team = await json(await call("/admin/teams", { key: ADMIN_TOKEN, body: { name: "priced media", max_budget_usd: 0.1 } }));
    const { key } = await json(await call(`/admin/teams/${team.id}/keys`, { key: ADMIN_TOKEN, body: {} }));
    const upstream = mockMediaUpstream({ "/images/generations": jsonAnswer({ created: 1, data: [{ url: "https://x/1.png" }] }) });
    const hd = await call("/v1/images/generations", { key, env: { PRICES }, body: { model: "dall-e-3", prompt: "a cat", quality: "hd", n: 1 } });
    // $0.08 spent: one more hd image ($0.08) would pass $0.10, a standard one ($0.04) would too.
    const again = await call("/v1/images/generations", { key, env: { PRICES }, body: { model: "dall-e-3", prompt: "a cat", n: 1 } });
    upstream.spy.mockRestore();
    expect([hd.status, again.status]).toEqual([200, 429]);
    expect((await json(again)).error.code).toBe("insufficient_quota");
  });
});
