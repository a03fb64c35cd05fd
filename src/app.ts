import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "@hono/zod-openapi";
import type { Bindings, GatewayConfig } from "./config";
import { ApiError, errorBody, invalidApiKey } from "./errors";
import { describeError, logEvent } from "./log";
import type { KeyLimits } from "./limits/limits";
import type { RequestAnnotations } from "./usage/request-finished";

export interface AuthenticatedKey {
  keyId: string;
  teamId: string;
  /** null: every model is allowed. */
  allowedModels: string[] | null;
  /** The key's and its team's rate limits and budgets, cached with the key. */
  limits: KeyLimits;
}

/** Who reads the usage API: the admin token sees every team, a team key its own team. */
export type UsageViewer = { kind: "admin" } | { kind: "team"; teamId: string };

export interface AppEnv {
  Bindings: Bindings;
  Variables: { config: GatewayConfig; apiKey: AuthenticatedKey; requestAnnotations?: RequestAnnotations; usageViewer?: UsageViewer };
}

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
export type AppContext = Context<AppEnv>;

/** `messages.0.role` -> `messages[0].role`, the way OpenAI names a param. */
export function paramName(path: PropertyKey[]): string | null {
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
  return new ApiError(400, message, "invalid_request_error", param, issue?.code === "invalid_type" ? "invalid_type" : "invalid_value");
}

/** Every router is built here, so that a validation error looks the same on every route. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return zodErrorToApiError(result.error, result.target).toResponse();
    },
  });
}

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
