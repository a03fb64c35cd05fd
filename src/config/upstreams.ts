import { ConfigError } from "./values";

/** One OpenAI-compatible upstream. */
export interface UpstreamConfig {
  name: string;
  /** Without a trailing slash, e.g. https://api.openai.com/v1. */
  baseUrl: string;
  /** The upstream's key, read from the secret that `api_key_env` names; undefined for servers without auth. */
  apiKey: string | undefined;
  /** Model patterns, `*` a wildcard. */
  models: string[];
  /** Model renames for this upstream, e.g. {"gpt-4o": "my-azure-deployment"}. */
  modelMap: Record<string, string>;
}

export const DEFAULT_UPSTREAM_BASE_URL = "https://api.openai.com/v1";

/**
 * The upstreams, in routing order. Without UPSTREAMS, UPSTREAM_BASE_URL and UPSTREAM_API_KEY make
 * one upstream that takes every model.
 */
export function parseUpstreams(env: Record<string, unknown>): UpstreamConfig[] {
  if (env.UPSTREAMS !== undefined && String(env.UPSTREAMS).trim() !== "") {
    throw new ConfigError("UPSTREAMS", "is not supported yet.");
  }
  const baseUrl = String(env.UPSTREAM_BASE_URL || DEFAULT_UPSTREAM_BASE_URL).replace(/\/+$/, "");
  const apiKey = typeof env.UPSTREAM_API_KEY === "string" && env.UPSTREAM_API_KEY ? env.UPSTREAM_API_KEY : undefined;
  return [{ name: "default", baseUrl, apiKey, models: ["*"], modelMap: {} }];
}
