import { createRoute } from "@hono/zod-openapi";
import {
  AudioSpeechesUsagePageSchema,
  AudioTranscriptionsUsagePageSchema,
  CompletionsUsagePageSchema,
  CostsPageSchema,
  CostsQuerySchema,
  EmbeddingsUsagePageSchema,
  ImagesUsagePageSchema,
  ImagesUsageQuerySchema,
  ModelUsageQuerySchema,
  ModerationsUsagePageSchema,
  UsageQuerySchema,
} from "../../schemas/usage";
import { errorResponse, jsonResponse as json } from "../openapi-responses";

const security: Record<string, string[]>[] = [{ AdminToken: [] }, { TeamKey: [] }];
const base = { tags: ["Usage"], security };
const errors = { 400: errorResponse("Invalid query"), 401: errorResponse("Missing or wrong admin token or key") };

export const completionsUsageRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/organization/usage/completions",
  operationId: "usageCompletions",
  summary: "Completions usage per time bucket (OpenAI's Usage API; a team is a project)",
  request: { query: UsageQuerySchema },
  responses: { 200: json(CompletionsUsagePageSchema, "Usage buckets"), ...errors },
});

export const embeddingsUsageRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/organization/usage/embeddings",
  operationId: "usageEmbeddings",
  summary: "Embeddings usage per time bucket",
  request: { query: UsageQuerySchema },
  responses: { 200: json(EmbeddingsUsagePageSchema, "Usage buckets"), ...errors },
});

export const moderationsUsageRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/organization/usage/moderations",
  operationId: "usageModerations",
  summary: "Moderations usage per time bucket",
  request: { query: ModelUsageQuerySchema },
  responses: { 200: json(ModerationsUsagePageSchema, "Usage buckets"), ...errors },
});

export const imagesUsageRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/organization/usage/images",
  operationId: "usageImages",
  summary: "Images usage per time bucket (images generated, by size)",
  request: { query: ImagesUsageQuerySchema },
  responses: { 200: json(ImagesUsagePageSchema, "Usage buckets"), ...errors },
});

export const audioSpeechesUsageRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/organization/usage/audio_speeches",
  operationId: "usageAudioSpeeches",
  summary: "Speech usage per time bucket (characters spoken)",
  request: { query: ModelUsageQuerySchema },
  responses: { 200: json(AudioSpeechesUsagePageSchema, "Usage buckets"), ...errors },
});

export const audioTranscriptionsUsageRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/organization/usage/audio_transcriptions",
  operationId: "usageAudioTranscriptions",
  summary: "Transcription and translation usage per time bucket (audio seconds)",
  request: { query: ModelUsageQuerySchema },
  responses: { 200: json(AudioTranscriptionsUsagePageSchema, "Usage buckets"), ...errors },
});

export const costsRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/organization/costs",
  operationId: "costs",
  summary: "Costs per day (OpenAI's Costs API); models without a price are listed as unpriced line items",
  request: { query: CostsQuerySchema },
  responses: { 200: json(CostsPageSchema, "Cost buckets"), ...errors },
});
