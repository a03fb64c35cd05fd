// The stateless OpenAI endpoints the gateway passes through, in one list: the routes, the
// request-finished middleware and the tests all read it.

export interface PassThroughEndpoint {
  /** The gateway's path. */
  path: string;
  /** The path under an upstream's base URL. */
  upstreamPath: string;
  /** The model OpenAI uses when the request names none; routing and the allow-list use it then. */
  defaultModel?: string;
  /** The answer may report its usage (tokens, or audio seconds), read from a copy of the body, off the response path; audio bodies are never copied. */
  reportsUsage: boolean;
}

export const PASS_THROUGH = {
  embeddings: { path: "/v1/embeddings", upstreamPath: "/embeddings", reportsUsage: true },
  completions: { path: "/v1/completions", upstreamPath: "/completions", reportsUsage: true },
  moderations: { path: "/v1/moderations", upstreamPath: "/moderations", defaultModel: "omni-moderation-latest", reportsUsage: false },
  imageGenerations: { path: "/v1/images/generations", upstreamPath: "/images/generations", defaultModel: "dall-e-2", reportsUsage: true },
  speech: { path: "/v1/audio/speech", upstreamPath: "/audio/speech", reportsUsage: true },
  transcriptions: { path: "/v1/audio/transcriptions", upstreamPath: "/audio/transcriptions", reportsUsage: true },
  translations: { path: "/v1/audio/translations", upstreamPath: "/audio/translations", reportsUsage: true },
} as const satisfies Record<string, PassThroughEndpoint>;

/** Every passed-through path (all POST). */
export const PASS_THROUGH_PATHS: string[] = Object.values(PASS_THROUGH).map((e) => e.path);
