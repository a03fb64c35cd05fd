import { z } from "@hono/zod-openapi";

// Zod versions of the parts of OpenAI's spec that the gateway validates or serves.
// Request schemas are loose objects: unknown fields pass through to the upstream untouched.

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi("ErrorResponse");

export const METADATA_LIMITS = { maxPairs: 16, maxKeyLength: 64, maxValueLength: 512 } as const;

const charLength = (s: string) => [...s].length;

// Checked by hand rather than with z.record, which silently drops a "__proto__" key: a key that
// JSON.parse keeps as an ordinary property must be validated and stored like any other.
export const MetadataSchema = z
  .custom<Record<string, string>>()
  .check((ctx) => {
    const value = ctx.value as unknown;
    const issue = (message: string) => void ctx.issues.push({ code: "custom", input: value, message });
    if (value === null || typeof value !== "object" || Array.isArray(value)) return issue("metadata must be an object of string values.");
    const entries = Object.entries(value);
    if (entries.length > METADATA_LIMITS.maxPairs) {
      issue(`too many properties. Expected an object with at most ${METADATA_LIMITS.maxPairs} properties, but got an object with ${entries.length} properties instead.`);
    }
    for (const [key, item] of entries) {
      if (typeof item !== "string") {
        issue(`metadata values must be strings, but the value of '${key.slice(0, 64)}' is not.`);
        continue;
      }
      if (charLength(key) > METADATA_LIMITS.maxKeyLength) {
        issue(`key too long. Expected a key with maximum length ${METADATA_LIMITS.maxKeyLength}, but got a key with length ${charLength(key)} instead.`);
      }
      if (charLength(item) > METADATA_LIMITS.maxValueLength) {
        issue(`string too long. Expected a value with maximum length ${METADATA_LIMITS.maxValueLength} for key '${key.slice(0, 64)}', but got a value with length ${charLength(item)} instead.`);
      }
    }
  })
  .openapi("Metadata", {
    type: "object",
    additionalProperties: { type: "string", maxLength: METADATA_LIMITS.maxValueLength },
    maxProperties: METADATA_LIMITS.maxPairs,
    description: "Up to 16 key-value pairs. Keys are strings of at most 64 characters, values strings of at most 512.",
  });

const MESSAGE_ROLES = ["developer", "system", "user", "assistant", "tool", "function"] as const;

const ContentPartSchema = z.looseObject({ type: z.string() });

const RequestMessageSchema = z
  .looseObject({
    role: z.enum(MESSAGE_ROLES),
    content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(z.looseObject({ id: z.string() })).optional(),
    tool_call_id: z.string().optional(),
  })
  .openapi("ChatCompletionRequestMessage");

export const CreateChatCompletionRequestSchema = z
  .looseObject({
    model: z.string().min(1),
    messages: z.array(RequestMessageSchema).min(1),
    store: z.boolean().nullable().optional(),
    metadata: MetadataSchema.nullable().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.stream_options != null && body.stream !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["stream_options"],
        message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      });
    }
  })
  .openapi("CreateChatCompletionRequest");

export type CreateChatCompletionRequest = z.infer<typeof CreateChatCompletionRequestSchema>;

const ToolCallSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }).optional(),
});

export const ChatCompletionSchema = z
  .looseObject({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.looseObject({
        index: z.number().int(),
        message: z.looseObject({
          role: z.literal("assistant"),
          content: z.string().nullable(),
          refusal: z.string().nullable().optional(),
          tool_calls: z.array(ToolCallSchema).optional(),
        }),
        finish_reason: z.string().nullable(),
        logprobs: z.unknown().nullable().optional(),
      }),
    ),
    usage: z
      .looseObject({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() })
      .optional(),
    metadata: MetadataSchema.nullable().optional(),
    system_fingerprint: z.string().nullable().optional(),
    service_tier: z.string().nullable().optional(),
  })
  .openapi("ChatCompletion");

export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

/** OpenAI's cursor page; `first_id` and `last_id` are null on an empty page. */
const cursorPage = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      first_id: z.string().nullable(),
      last_id: z.string().nullable(),
      has_more: z.boolean(),
    })
    .openapi(name);

export const ChatCompletionListSchema = cursorPage(ChatCompletionSchema, "ChatCompletionList");

const StoredMessageSchema = z
  .object({
    id: z.string(),
    role: z.enum(MESSAGE_ROLES),
    content: z.string().nullable(),
    refusal: z.string().nullable(),
    name: z.string().nullable(),
    content_parts: z.array(ContentPartSchema).nullable(),
    tool_calls: z.array(ToolCallSchema).optional(),
    tool_call_id: z.string().optional(),
  })
  .openapi("ChatCompletionStoredMessage");

export type StoredMessage = z.infer<typeof StoredMessageSchema>;

export const ChatCompletionMessageListSchema = cursorPage(StoredMessageSchema, "ChatCompletionMessageList");

export const ChatCompletionDeletedSchema = z
  .object({ id: z.string(), object: z.literal("chat.completion.deleted"), deleted: z.boolean() })
  .openapi("ChatCompletionDeleted");

export const UpdateChatCompletionRequestSchema = z
  .object({ metadata: MetadataSchema.nullable() })
  .openapi("UpdateChatCompletionRequest");

const pageLimit = z.coerce
  .number({ error: "limit must be an integer." })
  .int({ error: "limit must be an integer." })
  .min(1, { error: "limit must be at least 1." })
  .max(100, { error: "limit must be at most 100." })
  .default(20)
  .openapi({ type: "integer", minimum: 1, maximum: 100 });
const pageOrder = z
  .enum(["asc", "desc"], { error: "order must be 'asc' or 'desc'." })
  .default("asc");
const pageAfter = z.string().min(1).max(512).optional();

export const ListCompletionsQuerySchema = z.object({
  model: z.string().optional(),
  metadata: z
    .record(z.string(), z.string())
    .optional()
    .openapi({
      param: { style: "deepObject", explode: true },
      // Without an example, Swagger UI's "Try it out" fills in made-up pairs that match nothing.
      example: {},
      description: "Filter by metadata pairs: `metadata[key]=value`, repeatable; all pairs must match.",
    }),
  after: pageAfter.openapi({ description: "The id of the last completion of the previous page." }),
  limit: pageLimit,
  order: pageOrder,
});

export const ListMessagesQuerySchema = z.object({
  after: pageAfter.openapi({ description: "The id of the last message of the previous page." }),
  limit: pageLimit,
  order: pageOrder,
});

export const CompletionIdParamSchema = z.object({
  completion_id: z
    .string()
    .min(1)
    .max(512)
    .openapi({ param: { name: "completion_id", in: "path" }, example: "chatcmpl-abc123" }),
});
