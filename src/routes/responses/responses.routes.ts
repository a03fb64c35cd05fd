import { createRoute, z } from "@hono/zod-openapi";
import {
  CreateResponseRequestSchema,
  GetResponseQuerySchema,
  InputTokensSchema,
  ItemPageQuerySchema,
  ResponseDeletedSchema,
  ResponseIdParamSchema,
  ResponseItemListSchema,
  ResponseSchema,
} from "../../schemas/responses";
import { commonErrorResponses, errorResponse, jsonBody, jsonResponse as json, limitErrorResponses } from "../openapi-responses";

const base = { tags: ["Responses"], security: [{ TeamKey: [] }] };

export const createResponseRoute = createRoute({
  ...base,
  method: "post",
  path: "/v1/responses",
  operationId: "createResponse",
  summary: "Create a response (state kept by the gateway; translated for chat upstreams)",
  request: { body: jsonBody(CreateResponseRequestSchema) },
  responses: {
    200: {
      description: "The response, or with `stream: true` its events as server-sent events",
      content: {
        "application/json": { schema: ResponseSchema },
        "text/event-stream": { schema: z.string().openapi({ description: "`data: {event}` lines, each with its `sequence_number`; no `[DONE]`" }) },
      },
    },
    ...commonErrorResponses,
    403: errorResponse("The key may not use this model"),
    413: errorResponse("Request body too large"),
    502: errorResponse("Upstream unreachable"),
    504: errorResponse("Upstream timeout"),
    ...limitErrorResponses,
  },
});

export const getResponseRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/responses/{response_id}",
  operationId: "getResponse",
  summary: "Get a stored response, or replay it as events (`stream=true`, `starting_after`)",
  request: { params: ResponseIdParamSchema, query: GetResponseQuerySchema },
  responses: {
    200: {
      description: "The stored response, or its events",
      content: { "application/json": { schema: ResponseSchema }, "text/event-stream": { schema: z.string() } },
    },
    ...commonErrorResponses,
  },
});

export const deleteResponseRoute = createRoute({
  ...base,
  method: "delete",
  path: "/v1/responses/{response_id}",
  operationId: "deleteResponse",
  summary: "Delete a stored response",
  request: { params: ResponseIdParamSchema },
  responses: { 200: json(ResponseDeletedSchema, "Deleted"), ...commonErrorResponses },
});

export const listInputItemsRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/responses/{response_id}/input_items",
  operationId: "listInputItems",
  summary: "List a stored response's input items (the whole resolved input)",
  request: { params: ResponseIdParamSchema, query: ItemPageQuerySchema },
  responses: { 200: json(ResponseItemListSchema, "A page of input items"), ...commonErrorResponses },
});

export const inputTokensRoute = createRoute({
  ...base,
  method: "post",
  path: "/v1/responses/input_tokens",
  operationId: "getInputTokenCounts",
  summary: "Estimate the input tokens of a request (its resolved input, 4 bytes a token)",
  request: { body: jsonBody(CreateResponseRequestSchema.partial({ model: true })) },
  responses: { 200: json(InputTokensSchema, "The estimate"), ...commonErrorResponses },
});
