import { type AppContext, type AppRouteHandler, describeError } from "../../app";
import { createDb } from "../../db/client";
import { CompletionsRepository } from "../../db/completions";
import { ApiError, errorBody } from "../../errors";
import { logEvent } from "../../log";
import type { ChatCompletion, CreateChatCompletionRequest } from "../../schemas/openai";
import { persistCompletion } from "../../storage/persist";
import { buildStoredCompletion, newCompletionId } from "../../storage/record";
import { forwardedHeaders, postChatCompletion, readBodyText } from "../../upstream/client";
import { proxyChatStream } from "../../upstream/stream-proxy";
import type { createChatCompletionRoute } from "./chat.routes";

/** The body sent upstream: the client's, minus what the gateway itself handles. */
function upstreamRequest(request: CreateChatCompletionRequest, store: boolean): { body: string; hideUsage: boolean } {
  // `store` and `metadata` stay here: the gateway is the store, and some compatible servers reject them.
  const { store: _store, metadata: _metadata, ...forwarded } = request;
  let hideUsage = false;
  if (store && request.stream === true && request.stream_options?.include_usage !== true) {
    // Ask for usage so the stored completion has it; the client, who did not ask, will not see it.
    forwarded.stream_options = { ...request.stream_options, include_usage: true };
    hideUsage = true;
  }
  return { body: JSON.stringify(forwarded), hideUsage };
}

/** An upstream error keeps its status and body; a body that is not OpenAI's shape is wrapped in it. */
async function relayUpstreamError(upstream: Response, idleMs: number): Promise<Response> {
  const headers = forwardedHeaders(upstream.headers);
  headers.set("content-type", "application/json");
  const text = await readBodyText(upstream, idleMs).catch(() => "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body =
    parsed && typeof parsed === "object" && "error" in parsed
      ? text
      : JSON.stringify(errorBody(`The upstream answered with status ${upstream.status}.`, upstream.status >= 500 ? "upstream_error" : "invalid_request_error", null, `upstream_${upstream.status}`));
  return new Response(body, { status: upstream.status, headers });
}

/** The id to store and return: the upstream's, unless it is missing or already stored for the team. */
async function chooseCompletionId(repo: CompletionsRepository, teamId: string, upstreamId: string | undefined): Promise<string> {
  if (!upstreamId) return newCompletionId();
  try {
    return (await repo.exists(teamId, upstreamId)) ? newCompletionId() : upstreamId;
  } catch (err) {
    // D1 is failing: the answer must not. persistCompletion still guards against a duplicate id.
    logEvent("error", "store_id_check_failed", { team_id: teamId, completion_id: upstreamId, error: describeError(err) });
    return upstreamId;
  }
}

function storeInBackground(c: AppContext, repo: CompletionsRepository, request: CreateChatCompletionRequest, completion: ChatCompletion) {
  c.executionCtx.waitUntil(persistCompletion(repo, buildStoredCompletion(c.var.apiKey.teamId, request, completion)));
}

export const createChatCompletion: AppRouteHandler<typeof createChatCompletionRoute> = async (c) => {
  const request = c.req.valid("json");
  const { apiKey, config } = c.var;
  if (apiKey.allowedModels && !apiKey.allowedModels.includes(request.model)) {
    throw new ApiError(403, `This API key is not allowed to use the model '${request.model}'.`, "permission_error", "model", "model_not_allowed");
  }
  const store = request.store === true;
  const repo = new CompletionsRepository(createDb(c.env.DB));
  const { body, hideUsage } = upstreamRequest(request, store);
  const upstream = await postChatCompletion(config, body, c.req.raw.signal);
  if (!upstream.ok) return relayUpstreamError(upstream, config.upstreamIdleTimeoutMs);

  const headers = forwardedHeaders(upstream.headers);
  const isStream = request.stream === true && (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
  if (isStream && upstream.body) {
    const { stream, outcome } = proxyChatStream(upstream.body, {
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      accumulate: store,
      hideUsage,
      resolveId: store ? (id) => chooseCompletionId(repo, apiKey.teamId, id) : undefined,
    });
    if (store) {
      c.executionCtx.waitUntil(
        outcome.then((result) => {
          if (result.status === "complete" && result.completion) {
            return persistCompletion(repo, buildStoredCompletion(apiKey.teamId, request, result.completion));
          }
          logEvent("warn", "stream_not_stored", { team_id: apiKey.teamId, outcome: result.status, reason: "reason" in result ? result.reason : undefined });
        }),
      );
    }
    headers.set("content-type", "text/event-stream; charset=utf-8");
    headers.set("cache-control", "no-cache");
    return new Response(stream, { status: 200, headers });
  }

  const text = await readBodyText(upstream, config.upstreamIdleTimeoutMs);
  headers.set("content-type", upstream.headers.get("content-type") ?? "application/json");
  if (!store) return new Response(text, { status: upstream.status, headers });

  let completion: ChatCompletion;
  try {
    completion = JSON.parse(text);
    if (!completion || typeof completion !== "object" || !Array.isArray(completion.choices)) throw new Error("not a chat.completion");
  } catch {
    logEvent("warn", "completion_not_stored", { team_id: apiKey.teamId, reason: "upstream answer is not a chat.completion" });
    return new Response(text, { status: upstream.status, headers });
  }
  const id = await chooseCompletionId(repo, apiKey.teamId, typeof completion.id === "string" ? completion.id : undefined);
  const rewritten = id !== completion.id;
  completion.id = id;
  storeInBackground(c, repo, request, completion);
  // Returned as the upstream sent it, unless the id had to change.
  return new Response(rewritten ? JSON.stringify(completion) : text, { status: upstream.status, headers });
};
