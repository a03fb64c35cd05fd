import { estimateRequest } from "../../proxy/admission";
import { withProtoKeyOf } from "../../lib/proto-key";
import { logEvent } from "../../log";
import type { ChatCompletion } from "../../schemas/openai";
import { jsonBodyFor } from "../../proxy/forward";
import { proxyRequest } from "../../proxy/proxy-request";
import { readBodyText } from "../../proxy/idle-timeout";
import { upstreamRequestBody } from "../../chat/upstream-body";
import { watchNativeChatStream } from "../../chat/native-stream";
import { proxyChatStream } from "../../chat/stream-proxy";
import { tokenUsageFrom } from "../../usage/event";
import { observeJsonUsage } from "../../usage/observe-usage";
import { annotateRequest, usageWanted } from "../../http/request-finished";
import type { createChatCompletionRoute } from "./chat.routes";
import { forgetPending } from "../../completion-store/pending";
import { mintStoredId, storeAfterResponse } from "./chat.store";
import type { AppRouteHandler } from "../../http/types";

export const createChatCompletion: AppRouteHandler<typeof createChatCompletionRoute> = async (c) => {
  // Parsed once by the validator and cached: this await reads no body.
  const request = withProtoKeyOf(c.req.valid("json"), await c.req.json());
  const apiKey = c.get("apiKey");
  const config = c.get("config");
  const storing = request.store === true;
  // Built at the first attempt, after admission: whether the gateway wants the usage depends on it.
  let sent: ReturnType<typeof upstreamRequestBody> | undefined;
  const proxied = await proxyRequest(c, {
    model: request.model,
    estimate: estimateRequest(c, request.model, request),
    call: ({ upstreamModel }) => {
      sent ??= upstreamRequestBody(request, storing, usageWanted(c));
      return { path: "/chat/completions", body: jsonBodyFor(sent.body, request.model, upstreamModel) };
    },
    contentType: "application/json",
    replayable: true,
  });
  if (!proxied.ok) return proxied.response;
  const { response: upstream, headers } = proxied;
  const hideUsage = sent?.hideUsage ?? false;
  // Minted here, with no D1 call: nothing in D1 sits between the upstream's answer and the client.
  const storedId = storing ? await mintStoredId(apiKey.teamId, config.idSecret) : undefined;

  const isStream = request.stream === true && (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
  if (isStream && upstream.body && storedId === undefined) {
    // Nothing to rewrite: the client gets the upstream's own body; usage and the end are read from a copy.
    // A usage chunk the gateway asked for reaches the client too (docs/contract.md says why).
    const { stream, outcome } = watchNativeChatStream(upstream.body, { idleTimeoutMs: config.upstreamIdleTimeoutMs, abort: proxied.abort });
    annotateRequest(c, { usage: outcome.then((result) => tokenUsageFrom(result.usage)) });
    headers.set("content-type", "text/event-stream; charset=utf-8");
    headers.set("cache-control", "no-cache");
    return new Response(stream, { status: 200, headers });
  }
  if (isStream && upstream.body) {
    const { stream, outcome } = proxyChatStream(upstream.body, {
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      accumulate: storing,
      hideUsage,
      id: storedId,
    });
    annotateRequest(c, { usage: outcome.then((result) => tokenUsageFrom(result.usage)) });
    if (storedId !== undefined) {
      const answer = outcome.then((result) => {
        if (result.status === "complete") return result.completion && { completion: result.completion, upstreamId: result.upstreamId };
        logEvent("warn", "stream_not_stored", { team_id: apiKey.teamId, outcome: result.status, reason: "reason" in result ? result.reason : undefined });
        return null;
      });
      storeAfterResponse(c, storedId, proxied.upstream.name, request, answer);
    }
    headers.set("content-type", "text/event-stream; charset=utf-8");
    headers.set("cache-control", "no-cache");
    return new Response(stream, { status: 200, headers });
  }

  headers.set("content-type", upstream.headers.get("content-type") ?? "application/json");
  // Not stored: the body goes through untouched, as a stream; its usage is read as it goes by.
  if (storedId === undefined) {
    if (!upstream.body || !usageWanted(c)) return new Response(upstream.body, { status: upstream.status, headers });
    const observed = observeJsonUsage(upstream.body);
    annotateRequest(c, { usage: observed.usage });
    return new Response(observed.stream, { status: upstream.status, headers });
  }
  const text = await readBodyText(upstream, config.upstreamIdleTimeoutMs);

  let completion: ChatCompletion;
  try {
    completion = JSON.parse(text);
    if (!completion || typeof completion !== "object" || !Array.isArray(completion.choices)) throw new Error("not a chat.completion");
  } catch {
    logEvent("warn", "completion_not_stored", { team_id: apiKey.teamId, reason: "upstream answer is not a chat.completion" });
    forgetPending(apiKey.teamId, storedId);
    return new Response(text, { status: upstream.status, headers });
  }
  const upstreamId = typeof completion.id === "string" && completion.id ? completion.id : null;
  completion.id = storedId;
  annotateRequest(c, { usage: tokenUsageFrom(completion.usage) });
  storeAfterResponse(c, storedId, proxied.upstream.name, request, Promise.resolve({ completion, upstreamId }));
  return new Response(JSON.stringify(completion), { status: upstream.status, headers });
};
