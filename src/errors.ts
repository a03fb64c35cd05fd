import type { ContentfulStatusCode } from "hono/utils/http-status";

// Every error the gateway makes is built here, by a named constructor, so each has one wording.

type OpenAIErrorType =
  | "invalid_request_error"
  | "permission_error"
  | "server_error"
  | "upstream_error"
  | "timeout_error"
  | "insufficient_quota"
  | "requests"
  | "tokens";

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(message: string, type: string, param: string | null = null, code: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** An error that is answered in OpenAI's shape with its own status. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly type: OpenAIErrorType = "invalid_request_error",
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): OpenAIErrorBody {
    return errorBody(this.message, this.type, this.param, this.code);
  }

  toResponse(): Response {
    return Response.json(this.toBody(), { status: this.status, headers: this.headers });
  }
}

// 400
export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, "invalid_request_error", param, code);

/** OpenAI's wording for a request without a model. */
export const missingModel = () => new ApiError(400, "you must provide a model parameter", "invalid_request_error", "model", "missing_required_parameter");

export const invalidMultipart = (problem: string) =>
  new ApiError(400, `The multipart form could not be read: ${problem}`, "invalid_request_error", null, "invalid_multipart");

/** A lone surrogate can only reach a URL as bytes that are not UTF-8; no stored metadata equals them. */
export const metadataFilterNotUtf8 = () =>
  invalidRequest(
    "Invalid 'metadata': a filter key or value is not valid UTF-8 once percent-decoded (a lone surrogate cannot be sent in a URL), so it can match no stored metadata.",
    "metadata",
    "invalid_value",
  );

export const invalidAfter = (after: string) => invalidRequest(`Invalid 'after': no chat completion found with id '${after}'.`, "after");

export const invalidResponseAfter = (after: string) => invalidRequest(`Invalid 'after': no stored response found with id '${after}'.`, "after");

/** The responses index keeps no metadata, so a stored-response list cannot filter by it. */
export const responseMetadataFilter = () => invalidRequest("Stored responses cannot be filtered by metadata.", "metadata");

export const invalidMessageAfter = (after: string, completionId: string) =>
  invalidRequest(`Invalid 'after': '${after}' is not a message of chat completion '${completionId}'.`, "after");

/** A chat upstream cannot run hosted tools; the message says how to turn them off. */
export const hostedToolsRefused = (upstream: string, tools: string[]) =>
  invalidRequest(
    `The upstream '${upstream}' speaks only chat completions, which cannot run the hosted tool${tools.length > 1 ? "s" : ""} ${tools.map((t) => `'${t}'`).join(", ")}. ` +
      `Remove ${tools.length > 1 ? "them" : "it"} from the request (Codex: set web_search = "disabled" in config.toml), or set "drop_hosted_tools": true on this upstream's UPSTREAMS entry to have the gateway drop ${tools.length > 1 ? "them" : "it"}.`,
    "tools",
    "unsupported_tool",
  );

/** OpenAI's answer for a previous response (or an item_reference) that is unknown, deleted, unstored or another team's. */
export const previousResponseNotFound = (id: string, param = "previous_response_id") =>
  invalidRequest(`Previous response with id '${id}' not found.`, param, "previous_response_not_found");

export const backgroundNotSupported = () =>
  invalidRequest("Background responses are not supported by this gateway yet: send the request without 'background: true'.", "background", "unsupported_parameter");

export const conversationWithPreviousResponse = () =>
  invalidRequest("Mutually exclusive parameters: 'previous_response_id' and 'conversation' cannot be used together.", "previous_response_id", "mutually_exclusive_parameters");

// 401
export const invalidApiKey = (message = "Incorrect API key provided.", realm = "gateway") =>
  new ApiError(401, message, "invalid_request_error", null, "invalid_api_key", { "www-authenticate": `Bearer realm="${realm}"` });

/** The usage API without ADMIN_TOKEN: only a team key can read it, and the caller's token is none. */
export const usageAdminTokenNotConfigured = (keyProblem: string) =>
  invalidApiKey(`The admin token is not configured (no ADMIN_TOKEN is set), so the usage and costs APIs take a team key only. ${keyProblem}`);

// 403
export const modelNotAllowed = (model: string) =>
  new ApiError(403, `This API key is not allowed to use the model '${model}'.`, "permission_error", "model", "model_not_allowed");

// 404
export const notFound = (message: string) => new ApiError(404, message, "invalid_request_error", null, "not_found");

// The same 404 for a missing id and another team's: it must not reveal that the id exists.
export const completionNotFound = (id: string) => notFound(`No chat completion found with id '${id}'.`);

// OpenAI's wording; param and code null, as OpenAI answers them.
export const responseNotFound = (id: string) => new ApiError(404, `Response with id '${id}' not found.`, "invalid_request_error", null, null);

export const conversationNotFound = (id: string) => new ApiError(404, `Conversation with id '${id}' not found.`, "invalid_request_error", null, null);

export const conversationItemNotFound = (id: string, conversationId: string) =>
  new ApiError(404, `Item with id '${id}' not found in conversation '${conversationId}'.`, "invalid_request_error", null, null);

export const conversationNotFoundParam = (id: string) => invalidRequest(`Conversation with id '${id}' not found.`, "conversation", "conversation_not_found");

export const teamNotFound = (id: string) => notFound(`No team found with id '${id}'.`);

export const keyNotFound = (id: string) => notFound(`No API key found with id '${id}'.`);

export const unknownUrl = (method: string, path: string) =>
  new ApiError(404, `Unknown request URL: ${method} ${path}.`, "invalid_request_error", null, "unknown_url");

/** OpenAI's own wording for a model that does not exist or that the key may not use. */
export const modelNotFound = (model: string) =>
  new ApiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model", "model_not_found");

/** A stateful OpenAI endpoint: its state would live in the one upstream account that every team shares. */
export const endpointNotAvailable = (method: string, path: string, reason: string) =>
  new ApiError(404, `${method} ${path} is not available through this gateway: ${reason}`, "invalid_request_error", null, "endpoint_not_available");

// 405
export const methodNotAllowed = (method: string, path: string, allowed: string[]) =>
  new ApiError(405, `Method ${method} is not allowed on ${path}. Allowed: ${allowed.join(", ")}.`, "invalid_request_error", null, "method_not_allowed", {
    allow: allowed.join(", "),
  });

// 413
export const requestTooLarge = (maxBytes: number) =>
  new ApiError(413, `The request body is larger than the ${maxBytes} bytes allowed.`, "invalid_request_error", null, "request_too_large");

// 429
/** Over an RPM or TPM limit: OpenAI's wording and type; the headers carry retry-after and x-ratelimit-*. */
export const rateLimitExceeded = (kind: "requests" | "tokens", scope: "key" | "team", limit: number, retryAfter: string, headers: Record<string, string>) =>
  new ApiError(
    429,
    `Rate limit reached for ${kind === "requests" ? "requests per minute (RPM)" : "tokens per minute (TPM)"} on this ${scope === "key" ? "API key" : "team"}: Limit ${limit}. Please try again in ${retryAfter}.`,
    kind,
    null,
    "rate_limit_exceeded",
    headers,
  );

/** Over budget: x-should-retry false, so that OpenAI's SDKs do not retry what cannot succeed. */
export const insufficientQuota = (scope: "key" | "team", maxBudgetUsd: number, headers: Record<string, string> = {}) =>
  new ApiError(
    429,
    `You exceeded your current quota: this ${scope === "key" ? "API key" : "team"} has spent its budget of $${maxBudgetUsd} for the current period. Ask the gateway's admin to raise max_budget_usd.`,
    "insufficient_quota",
    null,
    "insufficient_quota",
    { ...headers, "x-should-retry": "false" },
  );

// 503
/** LIMITS_FAIL_MODE=closed and the team's Durable Object did not answer. */
export const limitsUnavailable = () =>
  new ApiError(503, "The gateway could not check this team's rate limits and budgets; please retry.", "server_error", null, "limits_unavailable", { "retry-after": "1" });

// 500
export const gatewayMisconfigured = (problem: string) =>
  new ApiError(500, `The gateway is misconfigured: ${problem}`, "server_error", null, "gateway_misconfigured");

// 502 / 504
export const upstreamUnreachable = (headers: Record<string, string> = {}) =>
  new ApiError(502, "The upstream could not be reached.", "upstream_error", null, "upstream_unreachable", headers);

export const upstreamDisconnected = () =>
  new ApiError(502, "The upstream connection broke before the answer was complete.", "upstream_error", null, "upstream_disconnected");

export const upstreamTimeout = (ms: number, headers: Record<string, string> = {}) =>
  new ApiError(504, `The upstream did not answer within ${ms} ms.`, "timeout_error", null, "upstream_timeout", headers);

export const upstreamIdleTimeout = (ms: number) => new ApiError(504, `The upstream stopped sending for ${ms} ms.`, "timeout_error", null, "upstream_timeout");

// 503
/** A completion whose write is queued because D1 failed: it exists, but cannot be changed yet. */
export const completionWritePending = (id: string) =>
  new ApiError(503, `The chat completion '${id}' is still being stored; retry in a few seconds.`, "server_error", null, "store_write_pending", { "retry-after": "5" });

export const docAssetsMissing = () =>
  new ApiError(
    503,
    "The /doc explorer's files are missing: run `npm run build:doc-assets` (npm start and npm test do it for you).",
    "server_error",
    null,
    "doc_assets_missing",
  );

// The console (/console): its session, its cross-site guard and what a team session may do.
export const consoleSignInRequired = () =>
  new ApiError(401, "Sign in to the console: this request has no live console session.", "invalid_request_error", null, "console_session_required");

export const consoleWrongToken = () =>
  new ApiError(401, "Incorrect token: sign in with the admin token or a team's API key.", "invalid_request_error", "token", "invalid_api_key");

export const crossSiteRequest = () =>
  new ApiError(403, "This console request must come from the console's own page (Sec-Fetch-Site: same-origin).", "permission_error", null, "cross_site_request");

export const consoleAdminOnly = () => new ApiError(403, "Only the admin's console session may do this.", "permission_error", null, "admin_only");

export const consoleKeysReadOnly = () =>
  new ApiError(
    403,
    "A team's console session may only read its keys: the gateway's admin can set CONSOLE_TEAM_KEYS=manage to let teams manage their own keys.",
    "permission_error",
    null,
    "team_keys_read_only",
  );
