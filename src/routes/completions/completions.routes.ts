import { createRoute } from "@hono/zod-openapi";
import {
  ChatCompletionDeletedSchema,
  ChatCompletionListSchema,
  ChatCompletionMessageListSchema,
  ChatCompletionSchema,
  CompletionIdParamSchema,
  ListCompletionsQuerySchema,
  ListMessagesQuerySchema,
  UpdateChatCompletionRequestSchema,
} from "../../schemas/openai";
import { commonErrorResponses, jsonBody, jsonResponse as json } from "../openapi-responses";

const base = { tags: ["Stored completions"], security: [{ TeamKey: [] }] };

export const listCompletionsRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/chat/completions",
  operationId: "listChatCompletions",
  summary: "List stored chat completions",
  request: { query: ListCompletionsQuerySchema },
  responses: { 200: json(ChatCompletionListSchema, "A page of stored completions"), ...commonErrorResponses },
});

export const getCompletionRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/chat/completions/{completion_id}",
  operationId: "getChatCompletion",
  summary: "Get a stored chat completion",
  request: { params: CompletionIdParamSchema },
  responses: { 200: json(ChatCompletionSchema, "The stored completion"), ...commonErrorResponses },
});

export const updateCompletionRoute = createRoute({
  ...base,
  method: "post",
  path: "/v1/chat/completions/{completion_id}",
  operationId: "updateChatCompletion",
  summary: "Replace a stored chat completion's metadata",
  request: {
    params: CompletionIdParamSchema,
    body: jsonBody(UpdateChatCompletionRequestSchema),
  },
  responses: { 200: json(ChatCompletionSchema, "The updated completion"), ...commonErrorResponses },
});

export const deleteCompletionRoute = createRoute({
  ...base,
  method: "delete",
  path: "/v1/chat/completions/{completion_id}",
  operationId: "deleteChatCompletion",
  summary: "Delete a stored chat completion and its messages",
  request: { params: CompletionIdParamSchema },
  responses: { 200: json(ChatCompletionDeletedSchema, "The completion was deleted"), ...commonErrorResponses },
});

export const listMessagesRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/chat/completions/{completion_id}/messages",
  operationId: "getChatCompletionMessages",
  summary: "List a stored chat completion's input messages",
  request: { params: CompletionIdParamSchema, query: ListMessagesQuerySchema },
  responses: { 200: json(ChatCompletionMessageListSchema, "A page of input messages"), ...commonErrorResponses },
});
