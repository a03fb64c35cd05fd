import { z } from "@hono/zod-openapi";
import { MetadataSchema } from "./openai";

// The Responses and Conversations API's shapes as the gateway validates and documents them. Loose
// objects: every field the gateway does not read goes on to the upstream (or into the item) as sent.
// The full schemas are OpenAI's (test/fixtures/openai-responses.openapi.json), which answers are tested against.

// An item id names its R2 object, URI-encoded (keys are at most 1,024 bytes), so it is bounded in characters and encoded bytes.
const MAX_ITEM_ID = 256;
const itemIdFits = (id: string) => id.length <= MAX_ITEM_ID && encodeURIComponent(id).length <= 3 * MAX_ITEM_ID;
const ItemSchema = z.looseObject({
  type: z.string().optional(),
  id: z.string().refine(itemIdFits, { error: `An item id may be at most ${MAX_ITEM_ID} characters, and ${3 * MAX_ITEM_ID} bytes once URI-encoded.` }).optional(),
}).openapi("ResponseItem", { description: "An input or output item (`message`, `function_call`, `reasoning`, …)." });

export const CreateResponseRequestSchema = z
  .looseObject({
    model: z.string({ error: "you must provide a model parameter" }).min(1).openapi({ example: "gpt-4o-mini" }),
    input: z.union([z.string(), z.array(ItemSchema)]).optional(),
    instructions: z.string().nullable().optional(),
    previous_response_id: z.string().nullable().optional(),
    conversation: z.union([z.string(), z.looseObject({ id: z.string() })]).nullable().optional(),
    store: z.boolean().nullable().optional(),
    stream: z.boolean().nullable().optional(),
    background: z.boolean().nullable().optional(),
    metadata: MetadataSchema.nullable().optional(),
    tools: z.array(z.looseObject({ type: z.string() })).optional(),
    include: z.array(z.string()).nullable().optional(),
  })
  .openapi("CreateResponse");

export const ResponseSchema = z
  .looseObject({
    id: z.string(),
    object: z.literal("response"),
    created_at: z.number(),
    status: z.string(),
    model: z.string(),
    output: z.array(ItemSchema),
    usage: z.looseObject({}).optional(),
  })
  .openapi("Response");

const listPage = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ object: z.literal("list"), data: z.array(item), first_id: z.string().nullable(), last_id: z.string().nullable(), has_more: z.boolean() }).openapi(name);

export const ResponseItemListSchema = listPage(ItemSchema, "ResponseItemList");

export const ResponseDeletedSchema = z.object({ id: z.string(), object: z.literal("response.deleted"), deleted: z.boolean() }).openapi("ResponseDeleted");

export const InputTokensSchema = z.object({ object: z.literal("response.input_tokens"), input_tokens: z.number().int() }).openapi("TokenCountsResource");

export const ResponseIdParamSchema = z.object({
  response_id: z.string().min(1).max(512).openapi({ param: { name: "response_id", in: "path" }, example: "resp_abc123" }),
});

const pageLimit = z.coerce
  .number({ error: "limit must be an integer." })
  .int({ error: "limit must be an integer." })
  .min(1, { error: "limit must be at least 1." })
  .max(100, { error: "limit must be at most 100." })
  .default(20)
  .openapi({ type: "integer", minimum: 1, maximum: 100 });

const includeQuery = z.union([z.string(), z.array(z.string())]).optional().openapi({ description: "Extra output to include, e.g. `reasoning.encrypted_content`." });

/** Item pages: `order` defaults to `desc` (newest first), as at OpenAI. */
export const ItemPageQuerySchema = z.object({
  after: z.string().min(1).max(512).optional().openapi({ description: "The id of the last item of the previous page." }),
  limit: pageLimit,
  order: z.enum(["asc", "desc"], { error: "order must be 'asc' or 'desc'." }).default("desc"),
  include: includeQuery,
  "include[]": includeQuery,
});

export const GetResponseQuerySchema = z.object({
  include: includeQuery,
  "include[]": includeQuery,
  stream: z.enum(["true", "false"]).optional().openapi({ description: "`true` replays the stored response as its stream of events." }),
  starting_after: z.coerce.number().int().min(-1).optional().openapi({ type: "integer", description: "With `stream=true`: only the events after this sequence number." }),
  include_obfuscation: z.string().optional(),
});

export const ConversationSchema = z
  .object({ id: z.string(), object: z.literal("conversation"), created_at: z.number().int(), metadata: z.record(z.string(), z.string()) })
  .openapi("Conversation");

export const ConversationDeletedSchema = z.object({ id: z.string(), object: z.literal("conversation.deleted"), deleted: z.boolean() }).openapi("ConversationDeleted");

export const CreateConversationRequestSchema = z
  .looseObject({
    items: z.array(ItemSchema).max(20, { error: "items: at most 20 items." }).nullable().optional(),
    metadata: MetadataSchema.nullable().optional(),
  })
  .openapi("CreateConversationRequest");

export const UpdateConversationRequestSchema = z.looseObject({ metadata: MetadataSchema }).openapi("UpdateConversationRequest");

export const AddConversationItemsRequestSchema = z.looseObject({ items: z.array(ItemSchema).min(1).max(20, { error: "items: at most 20 items." }) }).openapi("AddConversationItemsRequest");

export const ConversationItemListSchema = listPage(ItemSchema, "ConversationItemList");

export const ConversationIdParamSchema = z.object({
  conversation_id: z.string().min(1).max(512).openapi({ param: { name: "conversation_id", in: "path" }, example: "conv_abc123" }),
});

export const ConversationItemParamSchema = ConversationIdParamSchema.extend({
  item_id: z.string().min(1).max(512).openapi({ param: { name: "item_id", in: "path" }, example: "msg_abc123" }),
});
