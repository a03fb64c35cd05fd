import type { ContentfulStatusCode } from "hono/utils/http-status";

export type OpenAIErrorType =
  | "invalid_request_error"
  | "permission_error"
  | "server_error"
  | "upstream_error"
  | "timeout_error";

export interface OpenAIErrorBody {
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

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, "invalid_request_error", param, code);

export const notFound = (message: string) => new ApiError(404, message, "invalid_request_error", null, "not_found");

export const invalidApiKey = (message = "Incorrect API key provided.", realm = "gateway") =>
  new ApiError(401, message, "invalid_request_error", null, "invalid_api_key", { "www-authenticate": `Bearer realm="${realm}"` });
