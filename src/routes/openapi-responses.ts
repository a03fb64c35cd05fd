import { ErrorResponseSchema } from "../schemas/openai";

/** A JSON response entry of a route definition. */
export const jsonResponse = <T>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

/** A required JSON request body of a route definition. */
export const jsonBody = <T>(schema: T) => ({ required: true, content: { "application/json": { schema } } });

export const errorResponse = (description: string) => jsonResponse(ErrorResponseSchema, description);

/** The error answers every /v1 route can give, in OpenAI's shape. */
export const commonErrorResponses = {
  400: errorResponse("Invalid request"),
  401: errorResponse("Missing or invalid API key"),
  404: errorResponse("Not found"),
} as const;

/**
 * What a proxied route answers for the gateway's own limits and budgets, besides the upstream's
 * errors. Without a fixed content type: an upstream's 429 or 503 is passed through as it came.
 */
export const limitErrorResponses = {
  429: {
    description:
      "Rate limited (`rate_limit_exceeded`, with `retry-after` and `x-ratelimit-*`) or over budget (`insufficient_quota`, with `x-should-retry: false`), in OpenAI's error shape; or an upstream's 429, passed through with its body and retry-after once every attempt has failed",
  },
  503: {
    description:
      "The team's limits could not be checked and LIMITS_FAIL_MODE is closed (`limits_unavailable`), in OpenAI's error shape; or an upstream's 503, passed through with its body once every attempt has failed",
  },
};
