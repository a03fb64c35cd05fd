import type { UpstreamConfig } from "../config";
import { backgroundNotSupported, conversationWithPreviousResponse } from "../errors";
import { annotateRequest } from "../http/request-finished";
import type { AppContext } from "../http/types";
import { describeError, logEvent } from "../log";
import { estimateRequest } from "../proxy/admission";
import { jsonBodyFor } from "../proxy/forward";
import { readBodyText } from "../proxy/idle-timeout";
import { proxyRequest } from "../proxy/proxy-request";
import { sendInOrder } from "../queue/pieces";
import { upstreamsFor } from "../proxy/routing";
import { tokenUsageFrom } from "../usage/event";
import { observeJsonUsage } from "../usage/observe-usage";
import { ChatToResponses, translateChatStream } from "./chat-stream";
import { appendItems, normaliseItem } from "./conversations-store";
import { responseFromChat } from "./from-chat";
import { adoptResponse, adoptResponsesStream, type Adopted } from "./from-upstream";
import { watchResponsesStream } from "./passed-stream";
import { appendMessages } from "./spool";
import { mintResponseId } from "./item-ids";
import { includeOf, presentResponse } from "./present";
import { conversationIdOf, resolveInput, upstreamInput, type ResolvedInput } from "./resolve";
import { responseSkeleton } from "./response-object";
import { holdAppend } from "./pending";
import { saveResponse } from "./store";
import { toChatRequest, type ChatPlan } from "./to-chat";
import { isObject, type Item, type Json } from "./types";

// POST /v1/responses: the state is resolved here, the request routed like chat (allow-list, limits,
// retries, fallback), translated for a `chat` upstream or sent statelessly to a `responses` one,
// and the answer stored under the gateway's id.

const hasItemReference = (input: unknown) => Array.isArray(input) && input.some((item) => isObject(item) && item.type === "item_reference");

/** The body a `responses` upstream gets: the whole input, no state, store off. */
function responsesBody(request: Json, input: Item[], upstreamIds: Record<string, string>, model: string): string {
  const { previous_response_id: _previous, conversation: _conversation, ...rest } = request;
  const include = includeOf(request.include);
  if (isObject(request.reasoning) && !include.includes("reasoning.encrypted_content")) include.push("reasoning.encrypted_content");
  return JSON.stringify({ ...rest, model, input: upstreamInput(input, upstreamIds), store: false, ...(include.length > 0 || request.include !== undefined ? { include } : {}) });
}

const APPEND_TIMEOUT_MS = 5_000;
/** Names the input items of a request whose items are never stored nor shown. */
const UNUSED_RESPONSE_ID = `resp_${"0".repeat(26)}`;

/** Adds a completed response's input and output to its conversation; a failed write goes to the queue. */
async function appendToConversation(c: AppContext, conversationId: string, items: Item[]): Promise<void> {
  const teamId = c.get("apiKey").teamId;
  // Held here until written: the next turn may come before the write lands (a stream ends after its final event).
  const release = holdAppend(teamId, conversationId, items);
  try {
    await Promise.race([appendItems(c.env, teamId, conversationId, items), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), APPEND_TIMEOUT_MS))]);
    release();
  } catch (err) {
    // Queued: still held here for a while, as the queue lands it.
    logEvent("warn", "conversation_append_queued", { team_id: teamId, conversation_id: conversationId, error: describeError(err) });
    await sendInOrder(c.env.BACKGROUND_QUEUE, appendMessages(teamId, conversationId, items)).catch((queueErr) =>
      logEvent("error", "conversation_append_failed", { team_id: teamId, conversation_id: conversationId, error: describeError(queueErr) }),
    );
  }
}

/** Keeps what a finished response leaves behind: the response (store) and the conversation's new items. */
function persist(c: AppContext, resolved: ResolvedInput, storing: boolean, upstream: string, adopted: Adopted): Promise<void> {
  const teamId = c.get("apiKey").teamId;
  const { response } = adopted;
  const work: Promise<void>[] = [];
  if (storing) work.push(saveResponse(c.env, teamId, { response, input: [...resolved.history, ...resolved.given], upstreamIds: { ...resolved.upstreamIds, ...adopted.upstreamIds }, upstream }));
  if (resolved.conversationId !== null && response.status !== "failed") {
    work.push(appendToConversation(c, resolved.conversationId, [...resolved.given, ...(response.output ?? [])].map((item: Item) => normaliseItem({ ...item }))));
  }
  return Promise.all(work).then(() => {});
}

export async function createResponse(c: AppContext, request: Json): Promise<Response> {
  const apiKey = c.get("apiKey");
  const config = c.get("config");
  const model: string = request.model;
  if (request.background === true) throw backgroundNotSupported();
  if (request.previous_response_id != null && request.conversation != null) throw conversationWithPreviousResponse();
  const storing = request.store !== false;
  const stateless = request.previous_response_id == null && conversationIdOf(request.conversation) === null && !hasItemReference(request.input);
  // Nothing to store or expand: a `responses` upstream gets the client's body as it came.
  const passThrough = !storing && stateless;
  const candidates = upstreamsFor(config.upstreams, model);
  // Passed through whichever upstream answers, the upstream's answer is the client's: no id to mint
  // (an HMAC). The input is still checked, so that its 400s are the gateway's whatever the route.
  const untouched = passThrough && candidates.length > 0 && candidates.every((upstream) => upstream.api === "responses");
  const responseId = untouched ? UNUSED_RESPONSE_ID : await mintResponseId(config.idSecret);
  // The state is resolved first: an unknown previous response is a 400 before anything is reserved or sent.
  const resolved = await resolveInput(c.env, apiKey.teamId, request, responseId);
  const input = [...resolved.history, ...resolved.given];
  const plans = new Map<UpstreamConfig, ChatPlan>();
  const chatPlan = (upstream: UpstreamConfig) => {
    let plan = plans.get(upstream);
    if (!plan) plans.set(upstream, (plan = toChatRequest(request, input, upstream)));
    return plan;
  };
  // A request the first upstream refuses (hosted tools) is a 400 before anything is reserved or sent.
  const first = candidates[0];
  if (first?.api === "chat" && (!apiKey.allowedModels || apiKey.allowedModels.includes(model))) chatPlan(first);
  const raw = passThrough ? JSON.stringify(request) : "";
  const forwarded = await proxyRequest(c, {
    model,
    estimate: estimateRequest(c, model, { ...request, max_tokens: request.max_output_tokens }),
    call: ({ upstream, upstreamModel }) => {
      if (upstream.api === "chat") return { path: "/chat/completions", body: JSON.stringify({ ...chatPlan(upstream).body, model: upstreamModel }) };
      return { path: "/responses", body: passThrough ? jsonBodyFor(raw, model, upstreamModel) : responsesBody(request, input, resolved.upstreamIds, upstreamModel) };
    },
    contentType: "application/json",
    replayable: true,
  });
  if (!forwarded.ok) return forwarded.response;
  const { response: upstream, headers } = forwarded;
  const upstreamName = forwarded.upstream.name;
  const kind = forwarded.upstream.api;
  const plan = kind === "chat" ? chatPlan(forwarded.upstream) : null;
  if (plan && plan.tools.dropped.length > 0) headers.set("x-gateway-dropped-tools", plan.tools.dropped.join(", "));
  const isStream = request.stream === true && (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
  const include = includeOf(request.include);

  if (kind === "responses" && passThrough) {
    headers.set("content-type", upstream.headers.get("content-type") ?? "application/json");
    if (!upstream.body) return new Response(null, { status: upstream.status, headers });
    if (isStream) {
      const { stream, usage } = watchResponsesStream(upstream.body, { idleTimeoutMs: config.upstreamIdleTimeoutMs, abort: forwarded.abort });
      annotateRequest(c, { usage });
      return new Response(stream, { status: upstream.status, headers });
    }
    const observed = observeJsonUsage(upstream.body);
    annotateRequest(c, { usage: observed.usage });
    return new Response(observed.stream, { status: upstream.status, headers });
  }

  const keep = (settled: Promise<Adopted | null>) =>
    c.executionCtx.waitUntil(settled.then((adopted) => (adopted ? persist(c, resolved, storing, upstreamName, adopted) : undefined)).catch((err) => logEvent("error", "response_persist_failed", { team_id: apiKey.teamId, error: describeError(err) })));

  if (isStream && upstream.body) {
    headers.set("content-type", "text/event-stream; charset=utf-8");
    headers.set("cache-control", "no-cache");
    if (plan) {
      const state = new ChatToResponses(responseSkeleton(request, responseId, model), plan.tools);
      const { stream, outcome } = translateChatStream(upstream.body, state, { idleTimeoutMs: config.upstreamIdleTimeoutMs });
      annotateRequest(c, { usage: outcome.then((result) => tokenUsageFrom(result.usage)) });
      keep(outcome.then((result) => (result.status === "complete" ? { response: result.response, upstreamIds: {} } : null)));
      return new Response(stream, { status: 200, headers });
    }
    const { stream, outcome } = adoptResponsesStream(upstream.body, responseId, request, model, config.upstreamIdleTimeoutMs, include);
    annotateRequest(c, { usage: outcome.then((result) => tokenUsageFrom(result.status === "complete" ? result.adopted.response.usage : result.usage)) });
    keep(outcome.then((result) => (result.status === "complete" ? result.adopted : null)));
    return new Response(stream, { status: 200, headers });
  }

  const text = await readBodyText(upstream, config.upstreamIdleTimeoutMs);
  let answer: Json;
  try {
    answer = JSON.parse(text);
    if (!isObject(answer)) throw new Error("not an object");
  } catch {
    logEvent("warn", "response_not_stored", { team_id: apiKey.teamId, reason: "upstream answer is not JSON" });
    headers.set("content-type", upstream.headers.get("content-type") ?? "application/json");
    return new Response(text, { status: upstream.status, headers });
  }
  let adopted: Adopted;
  if (plan) {
    adopted = { response: responseFromChat(responseSkeleton(request, responseId, model), answer, plan.tools), upstreamIds: {} };
    annotateRequest(c, { usage: tokenUsageFrom(answer.usage) });
  } else {
    adopted = adoptResponse(answer, responseId, request, model);
    annotateRequest(c, { usage: tokenUsageFrom(answer.usage) });
  }
  // Held in this isolate before the answer leaves, so that a previous_response_id right after it finds it;
  // a conversation's new items are written before the answer, so that the next read sees them.
  const persisted = persist(c, resolved, storing, upstreamName, adopted);
  if (resolved.conversationId !== null) await persisted;
  else c.executionCtx.waitUntil(persisted);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(presentResponse(adopted.response, include)), { status: 200, headers });
}
