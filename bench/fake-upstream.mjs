#!/usr/bin/env node
// A fake OpenAI-compatible upstream on loopback, for local runs, the benchmark and the e2e test.
//   npm run upstream:fake               -> http://127.0.0.1:8081/v1
//   PORT=9000 npm run upstream:fake
// Per request, these headers shape the answer (the benchmark sets them):
//   x-fake-chunks: number of content chunks when streaming (default 8)
//   x-fake-first-delay-ms: delay before the first byte (default 0)
//   x-fake-chunk-delay-ms: delay between chunks (default 0)
// The same three can be given in the request body, as `"x_fake": { "chunks": 8, "first_delay_ms": 200,
// "chunk_delay_ms": 20 }` (a header wins over the body). The gateway forwards unknown body fields
// but not these headers, so the benchmark shapes answers through the gateway with the body field.
// A Responses request translated to chat keeps only the fields chat knows, so there the same object
// may come as the `user` field instead: `"user": "x_fake:{\"chunks\":200}"`.
// POST /responses answers as OpenAI's Responses API does (one message item; streamed as its events).
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
const num = (value, fallback) => (value != null && value !== "" && Number.isFinite(Number(value)) ? Number(value) : fallback);

function completionId() {
  return `chatcmpl-${randomBytes(15).toString("base64url").replace(/[-_]/g, "x")}`;
}

function lastUserText(messages) {
  const last = [...(messages ?? [])].reverse().find((m) => m.role === "user");
  if (!last) return "";
  return typeof last.content === "string" ? last.content : (last.content ?? []).map((p) => p.text ?? "").join(" ");
}

function fakeSettings(body) {
  if (body.x_fake && typeof body.x_fake === "object") return body.x_fake;
  if (typeof body.user === "string" && body.user.startsWith("x_fake:")) {
    try {
      return JSON.parse(body.user.slice("x_fake:".length));
    } catch {
      return {};
    }
  }
  return {};
}

function shape(req, body) {
  const fromBody = fakeSettings(body);
  return {
    chunks: num(req.headers["x-fake-chunks"], num(fromBody.chunks, 8)),
    firstDelayMs: num(req.headers["x-fake-first-delay-ms"], num(fromBody.first_delay_ms, 0)),
    chunkDelayMs: num(req.headers["x-fake-chunk-delay-ms"], num(fromBody.chunk_delay_ms, 0)),
  };
}

async function handleChat(req, res, body) {
  const options = shape(req, body);
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? "fake-model";
  const reply = `Echo: ${lastUserText(body.messages)}`.slice(0, 200);
  await sleep(options.firstDelayMs);
  if (body.stream !== true) {
    const promptTokens = JSON.stringify(body.messages ?? []).length >> 2;
    const answer = {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: reply, refusal: null }, finish_reason: "stop", logprobs: null }],
      usage: { prompt_tokens: promptTokens, completion_tokens: options.chunks, total_tokens: promptTokens + options.chunks },
      system_fingerprint: "fp_fake",
    };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const base = { id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_fake" };
  const send = (chunk) => res.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
  send({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] });
  for (let i = 0; i < options.chunks; i++) {
    if (i > 0) await sleep(options.chunkDelayMs);
    send({ choices: [{ index: 0, delta: { content: `tok${i} ` }, logprobs: null, finish_reason: null }] });
  }
  send({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] });
  if (body.stream_options?.include_usage) {
    send({ choices: [], usage: { prompt_tokens: 5, completion_tokens: options.chunks, total_tokens: 5 + options.chunks } });
  }
  res.end("data: [DONE]\n\n");
}

async function handleResponses(req, res, body) {
  // Stateless, as an upstream called with store: false: it keeps nothing, so a previous_response_id is a 400.
  if (body.previous_response_id) {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: `Previous response with id '${body.previous_response_id}' not found.`, type: "invalid_request_error", param: "previous_response_id", code: "previous_response_not_found" } }));
    return;
  }
  const options = shape(req, body);
  const id = `resp_${randomBytes(16).toString("hex")}`;
  const itemId = `msg_${randomBytes(16).toString("hex")}`;
  const createdAt = Math.floor(Date.now() / 1000);
  const text = Array.from({ length: options.chunks }, (_, i) => `tok${i} `).join("");
  const usage = { input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: options.chunks, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5 + options.chunks };
  const part = (t) => ({ type: "output_text", text: t, annotations: [], logprobs: [] });
  const item = (status, t) => ({ id: itemId, type: "message", status, role: "assistant", content: t === null ? [] : [part(t)] });
  const response = (status, output) => ({
    id,
    object: "response",
    created_at: createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    model: body.model ?? "fake-model",
    output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    store: body.store ?? true,
    usage: status === "completed" ? usage : null,
    metadata: {},
  });
  await sleep(options.firstDelayMs);
  if (body.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(response("completed", [item("completed", text)])));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  let sequence = 0;
  const send = (type, fields) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`);
  send("response.created", { response: response("in_progress", []) });
  send("response.in_progress", { response: response("in_progress", []) });
  send("response.output_item.added", { output_index: 0, item: item("in_progress", null) });
  send("response.content_part.added", { item_id: itemId, output_index: 0, content_index: 0, part: part("") });
  for (let i = 0; i < options.chunks; i++) {
    if (i > 0) await sleep(options.chunkDelayMs);
    send("response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta: `tok${i} `, logprobs: [] });
  }
  send("response.output_text.done", { item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] });
  send("response.content_part.done", { item_id: itemId, output_index: 0, content_index: 0, part: part(text) });
  send("response.output_item.done", { output_index: 0, item: item("completed", text) });
  send("response.completed", { response: response("completed", [item("completed", text)]) });
  res.end();
}

export function startFakeUpstream({ port = 8081, host = "127.0.0.1" } = {}) {
  const server = createServer((req, res) => {
    const pieces = [];
    req.on("data", (piece) => pieces.push(piece));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      if (req.method === "POST" && /\/chat\/completions$/.test(url.pathname)) {
        let body;
        try {
          body = JSON.parse(Buffer.concat(pieces).toString("utf8") || "{}");
        } catch {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "invalid JSON", type: "invalid_request_error", param: null, code: null } }));
          return;
        }
        handleChat(req, res, body).catch(() => res.destroy());
        return;
      }
      if (req.method === "POST" && /\/responses$/.test(url.pathname)) {
        let body;
        try {
          body = JSON.parse(Buffer.concat(pieces).toString("utf8") || "{}");
        } catch {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "invalid JSON", type: "invalid_request_error", param: null, code: null } }));
          return;
        }
        handleResponses(req, res, body).catch(() => res.destroy());
        return;
      }
      if (req.method === "GET" && /\/models$/.test(url.pathname)) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }] }));
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error", param: null, code: null } }));
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const port = num(process.env.PORT, 8081);
  await startFakeUpstream({ port });
  console.log(`Fake OpenAI-compatible upstream on http://127.0.0.1:${port}/v1`);
  console.log(`Point the gateway at it: npm start -- --var UPSTREAM_BASE_URL:http://127.0.0.1:${port}/v1`);
}
