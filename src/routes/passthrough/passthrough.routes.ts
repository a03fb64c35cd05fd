import { createRoute } from "@hono/zod-openapi";
import {
  CreateCompletionRequestSchema,
  CreateEmbeddingRequestSchema,
  CreateImageRequestSchema,
  CreateModerationRequestSchema,
  CreateSpeechRequestSchema,
  PassedThroughResponseSchema,
} from "../../schemas/passthrough";
import { commonErrorResponses, errorResponse, jsonBody, jsonResponse, limitErrorResponses } from "../openapi-responses";
import { PASS_THROUGH, type PassThroughEndpoint } from "./passthrough.endpoints";

const errors = {
  ...commonErrorResponses,
  403: errorResponse("The key may not use this model"),
  413: errorResponse("Request body too large"),
  502: errorResponse("Upstream unreachable"),
  504: errorResponse("Upstream timeout"),
  ...limitErrorResponses,
};

const passThroughRoute = (endpoint: PassThroughEndpoint, operationId: string, summary: string) => ({
  method: "post" as const,
  path: endpoint.path,
  operationId,
  tags: ["Passed through"],
  summary: `${summary} (passed through to the upstream that serves the model)`,
  security: [{ TeamKey: [] }],
});

export const createEmbeddingRoute = createRoute({
  ...passThroughRoute(PASS_THROUGH.embeddings, "createEmbedding", "Create embeddings"),
  request: { body: jsonBody(CreateEmbeddingRequestSchema) },
  responses: { 200: jsonResponse(PassedThroughResponseSchema, "OpenAI's CreateEmbeddingResponse"), ...errors },
});

export const createCompletionRoute = createRoute({
  ...passThroughRoute(PASS_THROUGH.completions, "createCompletion", "Create a legacy completion"),
  request: { body: jsonBody(CreateCompletionRequestSchema) },
  responses: { 200: jsonResponse(PassedThroughResponseSchema, "OpenAI's CreateCompletionResponse, or its stream"), ...errors },
});

export const createModerationRoute = createRoute({
  ...passThroughRoute(PASS_THROUGH.moderations, "createModeration", "Classify text or images"),
  request: { body: jsonBody(CreateModerationRequestSchema) },
  responses: { 200: jsonResponse(PassedThroughResponseSchema, "OpenAI's CreateModerationResponse"), ...errors },
});

export const createImageRoute = createRoute({
  ...passThroughRoute(PASS_THROUGH.imageGenerations, "createImage", "Generate images"),
  request: { body: jsonBody(CreateImageRequestSchema) },
  responses: { 200: jsonResponse(PassedThroughResponseSchema, "OpenAI's ImagesResponse"), ...errors },
});

const audio = { description: "The audio, streamed through as the upstream sends it", content: { "application/octet-stream": { schema: { type: "string" as const, format: "binary" } } } };

export const createSpeechRoute = createRoute({
  ...passThroughRoute(PASS_THROUGH.speech, "createSpeech", "Generate speech"),
  request: { body: jsonBody(CreateSpeechRequestSchema) },
  responses: { 200: audio, ...errors },
});

// No request body schema: a validator would read the whole form, file included, before the
// handler. The handler reads the form only as far as its `model` field.
export const createTranscriptionRoute = createRoute({
  ...passThroughRoute(PASS_THROUGH.transcriptions, "createTranscription", "Transcribe audio (multipart/form-data with `file` and `model`)"),
  responses: { 200: jsonResponse(PassedThroughResponseSchema, "The transcription"), ...errors },
});

export const createTranslationRoute = createRoute({
  ...passThroughRoute(PASS_THROUGH.translations, "createTranslation", "Translate audio into English (multipart/form-data with `file` and `model`)"),
  responses: { 200: jsonResponse(PassedThroughResponseSchema, "The translation"), ...errors },
});
