import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PASS_THROUGH_PATHS } from "../src/routes/passthrough/passthrough.endpoints";
import { call, createTeamWithKey, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
// Every method and path of OpenAI's spec (openai/openai-openapi, MIT, commit f85dbe2), one a line.
import allPaths from "./fixtures/openai-all-paths.txt?raw";
import { restoreSpies, track } from "./helpers/spies";

let key: string;
beforeAll(async () => {
  ({ key } = await createTeamWithKey());
});
afterEach(restoreSpies);

/** The endpoints the gateway serves itself. */
const OURS = [
  "POST /v1/chat/completions",
  "GET /v1/chat/completions",
  "GET /v1/chat/completions/{completion_id}",
  "POST /v1/chat/completions/{completion_id}",
  "DELETE /v1/chat/completions/{completion_id}",
  "GET /v1/chat/completions/{completion_id}/messages",
  "GET /v1/models",
  "GET /v1/models/{model}",
  // OpenAI's organization usage and costs APIs, per team.
  "GET /v1/organization/usage/completions",
  "GET /v1/organization/usage/embeddings",
  "GET /v1/organization/usage/moderations",
  "GET /v1/organization/usage/images",
  "GET /v1/organization/usage/audio_speeches",
  "GET /v1/organization/usage/audio_transcriptions",
  "GET /v1/organization/costs",
  // The Responses and Conversations APIs, whose state the gateway keeps itself.
  "POST /v1/responses",
  "GET /v1/responses/{response_id}",
  "DELETE /v1/responses/{response_id}",
  "GET /v1/responses/{response_id}/input_items",
  "POST /v1/responses/input_tokens",
  "POST /v1/conversations",
  "GET /v1/conversations/{conversation_id}",
  "POST /v1/conversations/{conversation_id}",
  "DELETE /v1/conversations/{conversation_id}",
  "POST /v1/conversations/{conversation_id}/items",
  "GET /v1/conversations/{conversation_id}/items",
  "GET /v1/conversations/{conversation_id}/items/{item_id}",
  "DELETE /v1/conversations/{conversation_id}/items/{item_id}",
];
/** The same, as the spec lists the SDK's beta spellings of them. */
const OURS_BETA = OURS.filter((line) => line.includes("/v1/responses")).map((line) => `${line}?beta=true`);

const PASSED_THROUGH = PASS_THROUGH_PATHS.map((path) => `POST ${path}`);

const endpoints = allPaths
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));

/** A concrete URL for a spec path: each {param} gets a plausible id. */
const concrete = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => (name === "model" ? "gpt-4o-mini" : `${name.replace(/_id$/, "")}_abc123`));

describe("every method and path of OpenAI's spec", () => {
  it("is classified: ours, passed through, or refused", () => {
    expect(endpoints.length).toBeGreaterThan(250);
    for (const line of [...OURS, ...PASSED_THROUGH]) {
      expect(endpoints.map((e) => e.split("?")[0])).toContain(line);
    }
  });

  it("refuses each stateful or administrative one with 404 in OpenAI's shape, saying why, and never forwards it", async () => {
    const refused = endpoints.filter((e) => ![...OURS, ...OURS_BETA, ...PASSED_THROUGH].includes(e));
    expect(refused.length).toBeGreaterThan(200);
    const upstream = mockUpstream(() => jsonResponse({}));
    for (const endpoint of refused) {
      const [method, path] = endpoint.split(" ");
      const body = method === "POST" ? { model: "gpt-4o-mini", input: "x" } : undefined;
      const res = await call(concrete(path), { key, method, body });
      const answer = await json(res);
      expect([endpoint, res.status, answer.error?.code, answer.error?.type]).toEqual([endpoint, 404, "endpoint_not_available", "invalid_request_error"]);
      expect(answer.error.message).toMatch(/is not available through this gateway: (it keeps its state|it administers|the gateway passes through only|it is not built yet)/);
      expect(answer.error.param).toBeNull();
    }
    expect(upstream.calls).toEqual([]);
  });

  it("says, for a stateful endpoint, that its state would be shared between teams", async () => {
    const res = await call("/v1/files/file-abc123/content", { key });
    expect((await json(res)).error.message).toBe(
      "GET /v1/files/file-abc123/content is not available through this gateway: it keeps its state (files, ids, jobs, sessions) in the upstream account, which every team of this gateway shares, so passing it through would let one team read or change another team's data by id.",
    );
  });

  it("forwards each passed-through one to the upstream", async () => {
    for (const endpoint of PASSED_THROUGH) {
      const [, path] = endpoint.split(" ");
      // Not mockUpstream: it reads every body as JSON, and two of these are forms.
      const urls: string[] = [];
      const spy = track(vi.spyOn(globalThis, "fetch")).mockImplementation(async (input, init) => {
        const request = new Request(input as RequestInfo, init);
        await request.arrayBuffer();
        urls.push(request.url);
        return jsonResponse({ ok: true });
      });
      const multipart = path.startsWith("/v1/audio/trans");
      let res: Response;
      if (multipart) {
        const form = new FormData();
        form.append("model", "whisper-1");
        form.append("file", new Blob([new Uint8Array(64)], { type: "audio/wav" }), "a.wav");
        const request = new Request("http://x/", { method: "POST", body: form });
        res = await call(path, {
          key,
          method: "POST",
          body: new TextDecoder("latin1").decode(await request.arrayBuffer()),
          headers: { "content-type": request.headers.get("content-type")! },
        });
      } else {
        res = await call(path, { key, body: { model: "gpt-4o-mini", input: "x", prompt: "x", voice: "alloy" } });
      }
      expect([endpoint, res.status]).toEqual([endpoint, 200]);
      expect(urls).toEqual([`http://upstream.test${path}`]);
      spy.mockRestore();
    }
  });

  it("serves each of ours without forwarding anything but the creates (chat, and responses translated for the chat upstream), and never refuses one", async () => {
    const upstream = mockUpstream((c) => (c.url.endsWith("/models") ? jsonResponse({ object: "list", data: [] }) : jsonResponse(completionFixture())));
    for (const endpoint of OURS) {
      const [method, path] = endpoint.split(" ");
      const body = method === "POST" ? { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], metadata: {} } : undefined;
      const res = await call(concrete(path), { key, method, body });
      const answer = res.headers.get("content-type")?.includes("json") ? await json(res) : {};
      // An id that does not exist may be 404, but never as an unknown or refused endpoint.
      expect([endpoint, answer.error?.code]).not.toEqual([endpoint, "endpoint_not_available"]);
      expect([endpoint, answer.error?.code]).not.toEqual([endpoint, "unknown_url"]);
      expect([endpoint, res.status < 500]).toEqual([endpoint, true]);
    }
    expect(upstream.calls.map((c) => c.url).filter((url) => !url.endsWith("/models"))).toEqual(["http://upstream.test/v1/chat/completions", "http://upstream.test/v1/chat/completions"]);
  });
});
