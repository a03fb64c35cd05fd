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
