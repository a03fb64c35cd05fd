import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, errorBody, invalidApiKey } from "../errors";
import { describeError, logEvent } from "../log";

const HTTP_EXCEPTION_MESSAGES: Partial<Record<number, string>> = {
  400: "We could not parse the JSON body of your request. The request body must be a valid JSON object.",
  413: "The request body is too large.",
  415: "Unsupported content type: the request body must be sent with 'Content-Type: application/json'.",
};

export function handleError(err: unknown, c: Context): Response {
  if (err instanceof ApiError) return err.toResponse();
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 401) return invalidApiKey().toResponse();
    const message = HTTP_EXCEPTION_MESSAGES[status] ?? (err.message || "Invalid request.");
    return c.json(errorBody(message, status >= 500 ? "server_error" : "invalid_request_error"), status);
  }
  // Never leak internals: the details go to the log, the client gets a generic message.
  logEvent("error", "unhandled_error", { path: new URL(c.req.url).pathname, error: describeError(err) });
  return c.json(errorBody("The server had an error while processing your request.", "server_error"), 500);
}
