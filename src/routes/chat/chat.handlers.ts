import type { AppContext, AppRouteHandler } from "../../app";
import { modelNotAllowed } from "../../errors";
import { admitRequest, estimateRequest } from "../../limits/admission";
import { newCompletionId } from "../../ids";
import { logEvent } from "../../log";
import type { ChatCompletion, CreateChatCompletionRequest } from "../../schemas/openai";
import { chooseCompletionId } from "../../storage/completion-id";
import type { CompletionsRepository } from "../../db/completions";
import { completionsRepository } from "../../storage/completion-store";
import { persistCompletion } from "../../storage/persist";
import { buildStoredCompletion } from "../../storage/record";
import { forwardToUpstream, gatewayHeaders } from "../../upstreams/forward";
import { forwardedHeaders, readBodyText } from "../../upstream/client";
import { relayUpstreamError, upstreamRequestBody } from "../../upstream/request";
import { proxyChatStream } from "../../upstream/stream-proxy";
import { tokenUsageFrom } from "../../usage/event";
import { observeJsonUsage } from "../../usage/observe-usage";
import { annotateRequest } from "../../usage/request-finished";
import type { createChatCompletionRoute } from "./chat.routes";

/**
 * Stores in waitUntil, once `completion` settles. The work starts after a timer tick, so that even
 * the serialising of a large request happens after the response has gone out.
 */
function storeInBackground(c: AppContext, repo: CompletionsRepository, request: CreateChatCompletionRequest, completion: Promise<ChatCompletion | null>) {
  const teamId = c.var.apiKey.teamId;
  const afterResponse = new Promise((resolve) => setTimeout(resolve, 0));
  const written = Promise.all([completion, afterResponse]).then(([answer]) => answer && persistCompletion(repo, buildStoredCompletion(teamId, request, answer)));
  c.executionCtx.waitUntil(written);
}

/** Usage is read when it is counted or settles a reservation; with neither, bodies pass untouched. */
const wantsUsage = (c: AppContext) => c.var.config.usage.counting || c.var.requestAnnotations?.admission !== undefined;

const keepAlive = (c: AppContext) => (work: Promise<unknown>) => c.executionCtx.waitUntil(work);

export const createChatCompletion: AppRouteHandler<typeof createChatCompletionRoute> = async (c) => {
  const request = c.req.valid("json");
  const { apiKey, config } = c.var;
  if (apiKey.allowedModels && !apiKey.allowedModels.includes(request.model)) throw modelNotAllowed(request.model);
  annotateRequest(c, { model: request.model });
  const admission = await admitRequest(c, estimateRequest(c, request.model, request));
  const storing = request.store === true;
  const repo = completionsRepository(c.env.DB);
  const { body, hideUsage } = upstreamRequestBody(request, storing, wantsUsage(c));
  const forwarded = await forwardToUpstream(config, { path: "/chat/completions", model: request.model, body: () => body, contentType: "application/json", replayable: true });
  const upstream = forwarded.response;
  annotateRequest(c, { model: request.model, upstream: forwarded.upstream.name, attempts: forwarded.attempts });
  if (!upstream.ok) return relayUpstreamError(upstream, config.upstreamIdleTimeoutMs);

  const headers = forwardedHeaders(upstream.headers);
  for (const [name, value] of Object.entries({ ...gatewayHeaders(forwarded), ...admission.headers })) headers.set(name, value);
  const isStream = request.stream === true && (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
  if (isStream && upstream.body) {
    const { stream, outcome } = proxyChatStream(upstream.body, {
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      accumulate: storing,
      hideUsage,
      id: storing ? newCompletionId() : undefined,
    });
    annotateRequest(c, { usage: outcome.then((result) => tokenUsageFrom(result.usage)) });
    if (storing) {
      const completion = outcome.then((result) => {
        if (result.status === "complete") return result.completion;
        logEvent("warn", "stream_not_stored", { team_id: apiKey.teamId, outcome: result.status, reason: "reason" in result ? result.reason : undefined });
        return null;
      });
      storeInBackground(c, repo, request, completion);
    }
    headers.set("content-type", "text/event-stream; charset=utf-8");
    headers.set("cache-control", "no-cache");
    return new Response(stream, { status: 200, headers });
  }

  headers.set("content-type", upstream.headers.get("content-type") ?? "application/json");
  // Not stored: the body goes through untouched, as a stream; its usage is read as it goes by.
  if (!storing) {
    if (!upstream.body || !wantsUsage(c)) return new Response(upstream.body, { status: upstream.status, headers });
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
    return new Response(text, { status: upstream.status, headers });
  }
  const id = await chooseCompletionId(repo, apiKey.teamId, typeof completion.id === "string" && completion.id ? completion.id : undefined, keepAlive(c));
  const rewritten = id !== completion.id;
  completion.id = id;
  annotateRequest(c, { usage: tokenUsageFrom(completion.usage) });
  storeInBackground(c, repo, request, Promise.resolve(completion));
  // As the upstream sent it, unless the id had to change.
  return new Response(rewritten ? JSON.stringify(completion) : text, { status: upstream.status, headers });
};
