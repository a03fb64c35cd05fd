import { createRoute } from "@hono/zod-openapi";
import {
  AddConversationItemsRequestSchema,
  ConversationDeletedSchema,
  ConversationIdParamSchema,
  ConversationItemListSchema,
  ConversationItemParamSchema,
  ConversationSchema,
  CreateConversationRequestSchema,
  ItemPageQuerySchema,
  UpdateConversationRequestSchema,
} from "../../schemas/responses";
import { z } from "@hono/zod-openapi";
import { commonErrorResponses, jsonBody, jsonResponse as json } from "../openapi-responses";

const base = { tags: ["Conversations"], security: [{ TeamKey: [] }] };
const ItemSchema = z.looseObject({ id: z.string(), type: z.string() });

export const createConversationRoute = createRoute({
  ...base,
  method: "post",
  path: "/v1/conversations",
  operationId: "createConversation",
  summary: "Create a conversation",
  request: { body: { required: false, content: { "application/json": { schema: CreateConversationRequestSchema } } } },
  responses: { 200: json(ConversationSchema, "The conversation"), ...commonErrorResponses },
});

export const getConversationRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/conversations/{conversation_id}",
  operationId: "getConversation",
  summary: "Get a conversation",
  request: { params: ConversationIdParamSchema },
  responses: { 200: json(ConversationSchema, "The conversation"), ...commonErrorResponses },
});

export const updateConversationRoute = createRoute({
  ...base,
  method: "post",
  path: "/v1/conversations/{conversation_id}",
  operationId: "updateConversation",
  summary: "Replace a conversation's metadata",
  request: { params: ConversationIdParamSchema, body: jsonBody(UpdateConversationRequestSchema) },
  responses: { 200: json(ConversationSchema, "The conversation"), ...commonErrorResponses },
});

export const deleteConversationRoute = createRoute({
  ...base,
  method: "delete",
  path: "/v1/conversations/{conversation_id}",
  operationId: "deleteConversation",
  summary: "Delete a conversation and its items",
  request: { params: ConversationIdParamSchema },
  responses: { 200: json(ConversationDeletedSchema, "Deleted"), ...commonErrorResponses },
});

export const addItemsRoute = createRoute({
  ...base,
  method: "post",
  path: "/v1/conversations/{conversation_id}/items",
  operationId: "createConversationItems",
  summary: "Add items to a conversation (at most 20)",
  request: { params: ConversationIdParamSchema, body: jsonBody(AddConversationItemsRequestSchema) },
  responses: { 200: json(ConversationItemListSchema, "The added items"), ...commonErrorResponses },
});

export const listItemsRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/conversations/{conversation_id}/items",
  operationId: "listConversationItems",
  summary: "List a conversation's items",
  request: { params: ConversationIdParamSchema, query: ItemPageQuerySchema },
  responses: { 200: json(ConversationItemListSchema, "A page of items"), ...commonErrorResponses },
});

export const getItemRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/conversations/{conversation_id}/items/{item_id}",
  operationId: "getConversationItem",
  summary: "Get one item of a conversation",
  request: { params: ConversationItemParamSchema },
  responses: { 200: json(ItemSchema, "The item"), ...commonErrorResponses },
});

export const deleteItemRoute = createRoute({
  ...base,
  method: "delete",
  path: "/v1/conversations/{conversation_id}/items/{item_id}",
  operationId: "deleteConversationItem",
  summary: "Delete one item of a conversation; answers the conversation",
  request: { params: ConversationItemParamSchema },
  responses: { 200: json(ConversationSchema, "The conversation"), ...commonErrorResponses },
});
