import { z } from "@hono/zod-openapi";

// OpenAI's organization usage and costs answers (UsageResponse, UsageTimeBucket and the result objects).

const nullableString = z.string().nullable();

const UsageCompletionsResultSchema = z
  .object({
    object: z.literal("organization.usage.completions.result"),
    input_tokens: z.number().int(),
    input_cached_tokens: z.number().int(),
    input_uncached_tokens: z.number().int(),
    output_tokens: z.number().int(),
    input_audio_tokens: z.number().int(),
    output_audio_tokens: z.number().int(),
    num_model_requests: z.number().int(),
    num_model_requests_without_usage: z.number().int().openapi({
      description: "Gateway extension: requests whose usage never came (a stream cut before its usage chunk). Their tokens are unknown, not zero.",
    }),
    project_id: nullableString,
    user_id: nullableString,
    api_key_id: nullableString,
    model: nullableString,
    batch: z.boolean().nullable(),
    service_tier: nullableString,
  })
  .openapi("UsageCompletionsResult");

const UsageEmbeddingsResultSchema = z
  .object({
    object: z.literal("organization.usage.embeddings.result"),
    input_tokens: z.number().int(),
    num_model_requests: z.number().int(),
    project_id: nullableString,
    user_id: nullableString,
    api_key_id: nullableString,
    model: nullableString,
  })
  .openapi("UsageEmbeddingsResult");

const groupedBy = {
  project_id: nullableString,
  user_id: nullableString,
  api_key_id: nullableString,
  model: nullableString,
};

const withoutUsage = z.number().int().openapi({
  description: "Gateway extension: requests whose usage never came (the upstream reported none). Their quantity is unknown, not zero.",
});

const UsageModerationsResultSchema = z
  .object({ object: z.literal("organization.usage.moderations.result"), input_tokens: z.number().int(), num_model_requests: z.number().int(), num_model_requests_without_usage: withoutUsage, ...groupedBy })
  .openapi("UsageModerationsResult");

const UsageImagesResultSchema = z
  .object({
    object: z.literal("organization.usage.images.result"),
    images: z.number().int(),
    num_model_requests: z.number().int(),
    source: nullableString.openapi({ description: "With group_by=source: always `image.generation` (the gateway passes no edits or variations through)." }),
    size: nullableString,
    ...groupedBy,
  })
  .openapi("UsageImagesResult");

const UsageAudioSpeechesResultSchema = z
  .object({ object: z.literal("organization.usage.audio_speeches.result"), characters: z.number().int(), num_model_requests: z.number().int(), ...groupedBy })
  .openapi("UsageAudioSpeechesResult");

const UsageAudioTranscriptionsResultSchema = z
  .object({
    object: z.literal("organization.usage.audio_transcriptions.result"),
    seconds: z.number().int().openapi({ description: "Audio seconds, as the upstream reported them (translations included)." }),
    num_model_requests: z.number().int(),
    num_model_requests_without_usage: withoutUsage,
    ...groupedBy,
  })
  .openapi("UsageAudioTranscriptionsResult");

const CostsResultSchema = z
  .object({
    object: z.literal("organization.costs.result"),
    amount: z.object({ value: z.number(), currency: z.literal("usd") }),
    line_item: nullableString,
    project_id: nullableString,
    api_key_id: nullableString,
    quantity: z.number().nullable(),
    quantity_unit: z.enum(["tokens", "images", "characters", "duration_seconds"]).nullable(),
  })
  .openapi("CostsResult");

const pageOf = <T extends z.ZodTypeAny>(result: T, name: string) =>
  z
    .object({
      object: z.literal("page"),
      data: z.array(z.object({ object: z.literal("bucket"), start_time: z.number().int(), end_time: z.number().int(), results: z.array(result) })),
      has_more: z.boolean(),
      next_page: z.string().nullable(),
    })
    .openapi(name);

export const CompletionsUsagePageSchema = pageOf(UsageCompletionsResultSchema, "CompletionsUsagePage");
export const EmbeddingsUsagePageSchema = pageOf(UsageEmbeddingsResultSchema, "EmbeddingsUsagePage");
export const CostsPageSchema = pageOf(CostsResultSchema, "CostsPage");
export const ModerationsUsagePageSchema = pageOf(UsageModerationsResultSchema, "ModerationsUsagePage");
export const ImagesUsagePageSchema = pageOf(UsageImagesResultSchema, "ImagesUsagePage");
export const AudioSpeechesUsagePageSchema = pageOf(UsageAudioSpeechesResultSchema, "AudioSpeechesUsagePage");
export const AudioTranscriptionsUsagePageSchema = pageOf(UsageAudioTranscriptionsResultSchema, "AudioTranscriptionsUsagePage");

export type UsageCompletionsResult = z.infer<typeof UsageCompletionsResultSchema>;
export type UsageEmbeddingsResult = z.infer<typeof UsageEmbeddingsResultSchema>;
export type CostsResult = z.infer<typeof CostsResultSchema>;
export type UsageModerationsResult = z.infer<typeof UsageModerationsResultSchema>;
export type UsageImagesResult = z.infer<typeof UsageImagesResultSchema>;
export type UsageAudioSpeechesResult = z.infer<typeof UsageAudioSpeechesResultSchema>;
export type UsageAudioTranscriptionsResult = z.infer<typeof UsageAudioTranscriptionsResultSchema>;

const list = (description: string) =>
  z.union([z.string(), z.array(z.string())]).optional().openapi({ description: `${description} Repeat the parameter (or use name[]) for several.` });

/** The query parameters, for the OpenAPI document; the handlers read them with usage.query.ts. */
export const UsageQuerySchema = z.object({
  start_time: z.string().openapi({ description: "Start of the range (Unix seconds), inclusive.", example: "1735689600" }),
  end_time: z.string().optional().openapi({ description: "End of the range (Unix seconds), exclusive. Default: now." }),
  bucket_width: z.string().optional().openapi({ description: "`1m`, `1h` or `1d` (default). Buckets are aligned to UTC." }),
  project_ids: list("Only these teams (a team is a project)."),
  api_key_ids: list("Only these gateway keys."),
  models: list("Only these models."),
  group_by: list("Any of project_id, api_key_id, model (user_id, batch, service_tier are accepted and always null)."),
  limit: z.string().optional().openapi({ description: "Buckets per page: 1d default 7 max 31; 1h default 24 max 168; 1m default 60 max 1440." }),
  page: z.string().optional().openapi({ description: "The next_page of the previous answer." }),
});

export const CostsQuerySchema = UsageQuerySchema.omit({ models: true }).extend({
  bucket_width: z.string().optional().openapi({ description: "Only `1d`." }),
  group_by: list("Any of project_id, api_key_id, line_item."),
  limit: z.string().optional().openapi({ description: "Buckets per page, 1 to 180, default 7." }),
});

export const ModelUsageQuerySchema = UsageQuerySchema.extend({
  group_by: list("Any of project_id, api_key_id, model (user_id is accepted and always null)."),
});

export const ImagesUsageQuerySchema = ModelUsageQuerySchema.extend({
  sources: list("Only these sources: the gateway serves `image.generation` only."),
  sizes: list("Only these image sizes, e.g. `1024x1024`."),
  group_by: list("Any of project_id, api_key_id, model, size, source (user_id is accepted and always null)."),
});
