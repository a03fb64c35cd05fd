import { ErrorResponseSchema } from "../schemas/openai";

const error = (description: string) => ({ description, content: { "application/json": { schema: ErrorResponseSchema } } });

/** The error answers every /v1 route can give, in OpenAI's shape. */
export const commonErrorResponses = {
  400: error("Invalid request"),
  401: error("Missing or invalid API key"),
  404: error("Not found"),
} as const;

export const errorResponse = error;
