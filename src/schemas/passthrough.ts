import { z } from "@hono/zod-openapi";

// The request fields the gateway itself needs from the passed-through endpoints: the model (to
// route and check the key's allow-list) and what OpenAI requires. Every other field goes to the
// upstream untouched; the upstream checks the rest.

const model = z.string().min(1);

export const CreateEmbeddingRequestSchema = z.looseObject({ model, input: z.unknown() }).openapi("CreateEmbeddingRequest");

export const CreateCompletionRequestSchema = z
  .looseObject({ model, prompt: z.unknown().optional(), max_tokens: z.number().int().nullable().optional() })
  .openapi("CreateCompletionRequest");

export const CreateModerationRequestSchema = z
  .looseObject({ model: model.optional(), input: z.unknown() })
  .openapi("CreateModerationRequest");

export const CreateImageRequestSchema = z.looseObject({ model: model.nullable().optional(), prompt: z.string() }).openapi("CreateImageRequest");

export const CreateSpeechRequestSchema = z.looseObject({ model, input: z.string(), voice: z.unknown() }).openapi("CreateSpeechRequest");

/** The upstream's answer, passed through as it comes. */
export const PassedThroughResponseSchema = z.looseObject({}).openapi("PassedThroughResponse", {
  description: "The upstream's answer in OpenAI's shape, passed through unchanged.",
});

/** A model-bearing JSON request, as the handlers see it. */
export type ModelRequest = { model?: string | null } & Record<string, unknown>;
