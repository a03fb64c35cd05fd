import { createRoute, z } from "@hono/zod-openapi";
import { ChatCompletionSchema, CreateChatCompletionRequestSchema } from "../../schemas/openai";
import { commonErrorResponses, errorResponse, jsonBody, limitErrorResponses } from "../openapi-responses";

export const createChatCompletionRoute = createRoute({
  method: "post",
  path: "/v1/chat/completions",
  operationId: "createChatCompletion",
  tags: ["Chat"],
  summary: "Create a chat completion (proxied to the upstream; stored with store: true)",
  security: [{ TeamKey: [] }],
  request: {
    body: jsonBody(CreateChatCompletionRequestSchema),
  },
  responses: {
    200: {
      description: "The completion, or with `stream: true` a stream of `chat.completion.chunk` server-sent events",
      content: {
        "application/json": { schema: ChatCompletionSchema },
        "text/event-stream": { schema: z.string().openapi({ description: "`data: {chunk}` events, ending with `data: [DONE]`" }) },
      },
    },
    ...commonErrorResponses,
    403: errorResponse("The key may not use this model"),
    413: errorResponse("Request body too large"),
    415: errorResponse("Content-Type is not application/json"),
    502: errorResponse("Upstream unreachable"),
    504: errorResponse("Upstream timeout"),
    ...limitErrorResponses,
  },
});
