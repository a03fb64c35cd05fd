import { z } from "@hono/zod-openapi";

// OpenAI's Model and ListModelsResponse (openai-models-embeddings-usage.openapi.json).

export const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal("model"),
    created: z.number().int().openapi({ description: "Unix time as the upstream gives it; 0 when it gives none." }),
    owned_by: z.string().openapi({ description: "The name of the upstream that serves the model." }),
  })
  .openapi("Model");

export const ListModelsResponseSchema = z.object({ object: z.literal("list"), data: z.array(ModelSchema) }).openapi("ListModelsResponse");

export const ModelParamSchema = z.object({
  model: z.string().min(1).openapi({ param: { name: "model", in: "path" }, example: "gpt-4o-mini" }),
});
