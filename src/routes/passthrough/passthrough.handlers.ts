import { invalidRequest, missingModel } from "../../errors";
import { type AdmissionEstimate, estimateAudio, estimateRequest } from "../../proxy/admission";
import { withProtoKeyOf } from "../../lib/proto-key";
import type { ModelRequest } from "../../schemas/passthrough";
import { proxyRequest } from "../../proxy/proxy-request";
import { multipartBoundary, readMultipartModel } from "./multipart-model";
import { withReportedUsage } from "../../usage/reported-usage";
import { annotateRequest, usageWanted } from "../../http/request-finished";
import { PASS_THROUGH, type PassThroughEndpoint } from "./passthrough.endpoints";
import type {
  createCompletionRoute,
  createEmbeddingRoute,
  createImageRoute,
  createModerationRoute,
  createSpeechRoute,
  createTranscriptionRoute,
  createTranslationRoute,
} from "./passthrough.routes";
import type { AppContext, AppRouteHandler } from "../../http/types";

interface Outgoing {
  model: string;
  /** The body for an upstream that knows the model by `upstreamModel`. */
  body: (upstreamModel: string) => BodyInit | null;
  contentType: string;
  replayable: boolean;
}

/** Every passed-through endpoint: proxied as it is, the answer streamed back with the gateway's headers. */
async function passThrough(c: AppContext, endpoint: PassThroughEndpoint, outgoing: Outgoing, estimate: Omit<AdmissionEstimate, "model">): Promise<Response> {
  const { model } = outgoing;
  const proxied = await proxyRequest(c, {
    model,
    estimate,
    call: ({ upstreamModel }) => ({ path: endpoint.upstreamPath, body: outgoing.body(upstreamModel) }),
    contentType: outgoing.contentType,
    accept: c.req.header("accept") || undefined,
    replayable: outgoing.replayable,
  });
  if (!proxied.ok) return proxied.response;
  const { response: upstream, headers } = proxied;
  const contentType = upstream.headers.get("content-type") ?? "application/json";
  headers.set("content-type", contentType);
  let body = upstream.body;
  if (endpoint.reportsUsage && body && usageWanted(c)) {
    const reported = withReportedUsage(body, contentType);
    body = reported.body;
    annotateRequest(c, { usage: reported.usage });
  } else {
    annotateRequest(c, { usage: null });
  }
  // The body goes through as the upstream sends it (audio included), never read here.
  return new Response(body, { status: upstream.status, headers });
}

/** A JSON request: read whole (bounded by MAX_BODY_BYTES), since its model may be anywhere in it. */
async function passJson(c: AppContext, endpoint: PassThroughEndpoint, validated: ModelRequest): Promise<Response> {
  // A top-level `__proto__` field goes through like any other (the validator's parse is cached: no second read).
  const request = withProtoKeyOf(validated, await c.req.json());
  const model = request.model || endpoint.defaultModel;
  if (!model) throw missingModel();
  const body = JSON.stringify(request);
  const estimate = estimateRequest(c, model, request);
  return passThrough(
    c,
    endpoint,
    {
      model,
      // Only a renamed model changes the body; a default model is never added to it.
      body: (upstreamModel) => (upstreamModel === model ? body : JSON.stringify({ ...request, model: upstreamModel })),
      contentType: "application/json",
      replayable: true,
    },
    // Only legacy completions give max_tokens; the other endpoints produce no output tokens.
    endpoint === PASS_THROUGH.completions ? estimate : { ...estimate, outputTokens: 0 },
  );
}

/**
 * A multipart form (audio): read only as far as its `model` field. When the model comes before the
 * file, the file streams through unread, and the body cannot be sent twice (one attempt, no
 * fallback); when it comes last, the form has been read anyway and may be retried.
 */
async function passMultipart(c: AppContext, endpoint: PassThroughEndpoint): Promise<Response> {
  const contentType = c.req.header("content-type");
  const boundary = multipartBoundary(contentType);
  if (!boundary || !contentType) throw invalidRequest("The request body must be multipart/form-data with a `file` and a `model` field.", null, "invalid_content_type");
  if (!c.req.raw.body) throw invalidRequest("The request has no body.", null);
  const declared = c.req.header("content-length");
  const declaredLength = declared && /^\d+$/.test(declared) ? Number(declared) : null;
  const form = await readMultipartModel(c.req.raw.body, boundary, c.get("config").maxBodyBytes, declaredLength);
  // Audio is not counted in tokens: its cost (by its seconds) is known only from the answer.
  return passThrough(c, endpoint, { model: form.model, body: form.body, contentType, replayable: form.replayable }, estimateAudio(c, form.model));
}

export const createEmbedding: AppRouteHandler<typeof createEmbeddingRoute> = (c) => passJson(c, PASS_THROUGH.embeddings, c.req.valid("json"));

export const createCompletion: AppRouteHandler<typeof createCompletionRoute> = (c) => passJson(c, PASS_THROUGH.completions, c.req.valid("json"));

export const createModeration: AppRouteHandler<typeof createModerationRoute> = (c) => passJson(c, PASS_THROUGH.moderations, c.req.valid("json"));

export const createImage: AppRouteHandler<typeof createImageRoute> = (c) => passJson(c, PASS_THROUGH.imageGenerations, c.req.valid("json"));

export const createSpeech: AppRouteHandler<typeof createSpeechRoute> = (c) => passJson(c, PASS_THROUGH.speech, c.req.valid("json"));

export const createTranscription: AppRouteHandler<typeof createTranscriptionRoute> = (c) => passMultipart(c, PASS_THROUGH.transcriptions);

export const createTranslation: AppRouteHandler<typeof createTranslationRoute> = (c) => passMultipart(c, PASS_THROUGH.translations);
