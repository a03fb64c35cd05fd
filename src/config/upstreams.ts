import { choiceVar, ConfigError, jsonVar } from "./values";

/** What an upstream speaks for /v1/responses: OpenAI's Responses API, or only chat completions (the gateway translates). */
export type UpstreamApi = "responses" | "chat";
export const UPSTREAM_APIS: readonly UpstreamApi[] = ["responses", "chat"];

/** One OpenAI-compatible upstream. */
export interface UpstreamConfig {
  name: string;
  /** Without a trailing slash, e.g. https://api.openai.com/v1. */
  baseUrl: string;
  /** The secret that holds the key (`api_key_env`); null for servers without auth or the legacy variables. */
  apiKeyEnv: string | null;
  /** The upstream's key, read from the secret that `api_key_env` names; undefined for servers without auth. */
  apiKey: string | undefined;
  /** Model patterns, `*` a wildcard. */
  models: string[];
  /** The patterns compiled once, as one anchored expression, so routing compiles nothing per request. */
  modelPattern: RegExp;
  /** Model renames for this upstream, e.g. {"gpt-4o": "my-azure-deployment"}. */
  modelMap: Record<string, string>;
  /** How /v1/responses reaches it. */
  api: UpstreamApi;
  /** A `chat` upstream drops hosted tools (web_search…) it cannot run, instead of answering 400. */
  dropHostedTools: boolean;
}

const DEFAULT_UPSTREAM_BASE_URL = "https://api.openai.com/v1";
const LEGACY_UPSTREAM_NAME = "default";

const VAR = "UPSTREAMS";
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FIELDS = ["name", "base_url", "api_key_env", "models", "model_map", "api", "drop_hosted_tools"];

/** `gpt-*` -> /^gpt-.*$/; every other character is literal. */
function globToRegExpSource(pattern: string): string {
  return pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
}

function compilePatterns(patterns: string[]): RegExp {
  return new RegExp(`^(?:${patterns.map(globToRegExpSource).join("|")})$`);
}

/** A base URL that can be fetched: absolute http(s), no query or fragment; returned without a trailing slash. */
function baseUrlOf(raw: unknown, variable: string, where: string): string {
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(variable, `${where}has no base_url (e.g. "https://api.openai.com/v1").`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(variable, `${where}has a base_url that is not a URL: '${raw}'.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(variable, `${where}has a base_url that is not http or https: '${raw}'.`);
  }
  if (url.search || url.hash) throw new ConfigError(variable, `${where}has a base_url with a query or fragment: '${raw}'.`);
  return raw.trim().replace(/\/+$/, "");
}

function parseEntry(entry: unknown, index: number, env: Record<string, unknown>): Omit<UpstreamConfig, "modelPattern"> {
  const at = `entry ${index}`;
  if (!entry || typeof entry !== "object" || Array.isArray(entry)) throw new ConfigError(VAR, `${at} is not an object.`);
  const e = entry as Record<string, unknown>;
  if (typeof e.name !== "string" || !NAME.test(e.name)) {
    throw new ConfigError(VAR, `${at} needs a "name" of letters, digits, '-', '_' or '.' (at most 64), but has ${JSON.stringify(e.name ?? null)}.`);
  }
  const where = `upstream '${e.name}' `;
  for (const field of Object.keys(e)) {
    if (field === "api_key" || field === "apiKey" || field === "key") {
      throw new ConfigError(VAR, `${where}has a key in the config ("${field}"): put it in a secret and name that secret with "api_key_env".`);
    }
    if (!FIELDS.includes(field)) throw new ConfigError(VAR, `${where}has an unknown field "${field}" (known: ${FIELDS.join(", ")}).`);
  }
  const baseUrl = baseUrlOf(e.base_url, VAR, where);

  let apiKeyEnv: string | null = null;
  let apiKey: string | undefined;
  if (e.api_key_env !== undefined && e.api_key_env !== null) {
    if (typeof e.api_key_env !== "string" || !ENV_NAME.test(e.api_key_env)) {
      throw new ConfigError(VAR, `${where}has an api_key_env that is not a variable name: ${JSON.stringify(e.api_key_env)}.`);
    }
    apiKeyEnv = e.api_key_env;
    const secret = env[apiKeyEnv];
    if (typeof secret !== "string" || secret.trim() === "") {
      throw new ConfigError(VAR, `${where}names the secret ${apiKeyEnv} in api_key_env, but it is not set (wrangler secret put ${apiKeyEnv}, or .dev.vars locally).`);
    }
    apiKey = secret.trim();
  }

  if (!Array.isArray(e.models) || e.models.length === 0) {
    throw new ConfigError(VAR, `${where}has no model patterns: give "models", e.g. ["gpt-*"] (or ["*"] for every model).`);
  }
  for (const pattern of e.models) {
    if (typeof pattern !== "string" || pattern.trim() === "") throw new ConfigError(VAR, `${where}has a model pattern that is not a non-empty string: ${JSON.stringify(pattern)}.`);
  }

  const modelMap: Record<string, string> = {};
  if (e.model_map !== undefined && e.model_map !== null) {
    if (typeof e.model_map !== "object" || Array.isArray(e.model_map)) throw new ConfigError(VAR, `${where}has a model_map that is not an object of model names.`);
    for (const [from, to] of Object.entries(e.model_map)) {
      if (typeof to !== "string" || to.trim() === "") throw new ConfigError(VAR, `${where}maps '${from}' in model_map to something that is not a model name: ${JSON.stringify(to)}.`);
      modelMap[from] = to;
    }
  }
  const api = e.api ?? "chat";
  if (!UPSTREAM_APIS.includes(api as UpstreamApi)) throw new ConfigError(VAR, `${where}has an "api" that is not "responses" or "chat": ${JSON.stringify(e.api)}.`);
  const dropHostedTools = e.drop_hosted_tools ?? false;
  if (typeof dropHostedTools !== "boolean") throw new ConfigError(VAR, `${where}has a "drop_hosted_tools" that is not true or false: ${JSON.stringify(e.drop_hosted_tools)}.`);
  return { name: e.name, baseUrl, apiKeyEnv, apiKey, models: e.models as string[], modelMap, api: api as UpstreamApi, dropHostedTools };
}

/** OpenAI's own API speaks Responses; any other single upstream is assumed to speak only chat. */
const isOpenAiBaseUrl = (baseUrl: string) => /^https:\/\/api\.openai\.com(\/|$)/.test(baseUrl);

/**
 * The upstreams, in routing order. Without UPSTREAMS, UPSTREAM_BASE_URL and UPSTREAM_API_KEY make
 * one upstream that takes every model. With UPSTREAMS, those two are not used (wrangler.toml sets
 * UPSTREAM_BASE_URL by default, so their presence is not an error).
 */
export function parseUpstreams(env: Record<string, unknown>): UpstreamConfig[] {
  const raw = jsonVar(env, VAR);
  if (raw === undefined) {
    const baseUrl = baseUrlOf(env.UPSTREAM_BASE_URL || DEFAULT_UPSTREAM_BASE_URL, "UPSTREAM_BASE_URL", "");
    const apiKey = typeof env.UPSTREAM_API_KEY === "string" && env.UPSTREAM_API_KEY ? env.UPSTREAM_API_KEY : undefined;
    const api = choiceVar(env, "UPSTREAM_API", UPSTREAM_APIS, isOpenAiBaseUrl(baseUrl) ? "responses" : "chat");
    return [
      { name: LEGACY_UPSTREAM_NAME, baseUrl, apiKeyEnv: apiKey ? "UPSTREAM_API_KEY" : null, apiKey, models: ["*"], modelPattern: compilePatterns(["*"]), modelMap: {}, api, dropHostedTools: false },
    ];
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError(VAR, `must be a non-empty JSON array of upstreams, e.g. [{"name":"openai","base_url":"https://api.openai.com/v1","api_key_env":"OPENAI_API_KEY","models":["gpt-*"]}].`);
  const seen = new Set<string>();
  return raw.map((entry, index) => {
    const upstream = parseEntry(entry, index, env);
    if (seen.has(upstream.name)) throw new ConfigError(VAR, `has two upstreams named '${upstream.name}': names must be unique.`);
    seen.add(upstream.name);
    return { ...upstream, modelPattern: compilePatterns(upstream.models) };
  });
}
