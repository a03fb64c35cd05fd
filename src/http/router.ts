import { OpenAPIHono, type z } from "@hono/zod-openapi";
import { ApiError, invalidRequest } from "../errors";
import type { AppEnv } from "./types";

/** `messages.0.role` -> `messages[0].role`, the way OpenAI names a param. */
function paramName(path: PropertyKey[]): string | null {
  if (path.length === 0) return null;
  // OpenAI names the whole object for any metadata problem.
  if (path[0] === "metadata") return "metadata";
  return path.reduce<string>((name, part) => {
    if (typeof part === "number") return `${name}[${part}]`;
    return name ? `${name}.${String(part)}` : String(part);
  }, "");
}

export function zodErrorToApiError(error: z.ZodError, target?: string): ApiError {
  const issue = error.issues[0];
  const param = paramName(issue?.path ?? []);
  const where = param ?? target ?? "request";
  const message = issue ? `Invalid '${where}': ${issue.message}` : "Invalid request.";
  return invalidRequest(message, param, issue?.code === "invalid_type" ? "invalid_type" : "invalid_value");
}

/** Every router is built here, so that a validation error looks the same on every route. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return zodErrorToApiError(result.error, result.target).toResponse();
    },
  });
}
