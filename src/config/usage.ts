import { z } from "@hono/zod-openapi";
import { MAX_EXACT_USD, usdToNanos } from "../lib/money";
import { choiceVar, ConfigError, integerVar, jsonVar } from "./values";

/** An image's price in USD: one for every image, or by size ("1024x1024"), then by quality ("standard", "hd"). */
export type ImagePrice = number | Record<string, number | Record<string, number>>;

/**
 * A model's prices as PRICES gives them, in USD: per million tokens, per image, per minute of audio
 * transcribed or translated, per million characters of speech. Each is optional, but a model has at
 * least one; token prices come as a pair (input and output).
 */
export interface ModelPriceOverride {
  input_per_mtok?: number;
  cached_input_per_mtok?: number;
  output_per_mtok?: number;
  per_image?: ImagePrice;
  per_minute?: number;
  per_mchar?: number;
}

export interface UsageConfig {
  /** Usage events are sent to the background queue; off only for deployers who do not want them. */
  counting: boolean;
  /** What a request meets when the team's Durable Object cannot answer. */
  limitsFailMode: "open" | "closed";
  /** PRICES: models priced here instead of (or in addition to) the bundled price database. */
  prices: Record<string, ModelPriceOverride>;
  /** Output tokens reserved for a request that names no max_tokens / max_completion_tokens. */
  defaultOutputTokens: number;
  /**
   * Nano-dollars reserved against a budget for a request whose cost cannot be known before it is
   * sent (a model with no price, audio whose length only the answer tells), and kept when the answer
   * does not tell it either: such a request is never counted as free.
   */
  defaultRequestNanoUsd: number;
}

const usd = z.number().finite().nonnegative();
const ImagePriceSchema = z.union([usd, z.record(z.string().min(1), z.union([usd, z.record(z.string().min(1), usd)]))]);
const PriceSchema = z
  .object({
    input_per_mtok: usd.optional(),
    cached_input_per_mtok: usd.optional(),
    output_per_mtok: usd.optional(),
    per_image: ImagePriceSchema.optional(),
    per_minute: usd.optional(),
    per_mchar: usd.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const tokens = p.input_per_mtok !== undefined || p.output_per_mtok !== undefined || p.cached_input_per_mtok !== undefined;
    const units = p.per_image !== undefined || p.per_minute !== undefined || p.per_mchar !== undefined;
    // A token price without its pair would price the other side at 0 by accident.
    for (const field of ["input_per_mtok", "output_per_mtok"] as const) {
      if ((tokens || !units) && p[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} is required with token prices` });
    }
  });
const PricesSchema = z.record(z.string().min(1), PriceSchema);

const PRICES_SHAPE =
  'an object of model -> {"input_per_mtok","cached_input_per_mtok","output_per_mtok"} (USD per million tokens) and/or {"per_image","per_minute","per_mchar"} (USD per image, per audio minute, per million characters), each ≥ 0';

function parsePrices(env: Record<string, unknown>): Record<string, ModelPriceOverride> {
  const raw = jsonVar(env, "PRICES");
  if (raw === undefined) return {};
  const parsed = PricesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? ` at '${issue.path.join(".")}'` : "";
    throw new ConfigError("PRICES", `must be ${PRICES_SHAPE}: ${issue.message}${where}.`);
  }
  // Without a cached price, cached input costs what input costs (as for upstreams without caching).
  return Object.fromEntries(
    Object.entries(parsed.data).map(([model, p]) => [model, p.input_per_mtok === undefined ? p : { ...p, cached_input_per_mtok: p.cached_input_per_mtok ?? p.input_per_mtok }]),
  );
}

/** LIMITS_DEFAULT_REQUEST_USD: a non-negative number of dollars, at most MAX_EXACT_USD. */
function defaultRequestNanoUsd(env: Record<string, unknown>): number {
  const raw = env.LIMITS_DEFAULT_REQUEST_USD;
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return usdToNanos(0.01);
  const value = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isFinite(value) || value < 0 || value > MAX_EXACT_USD) {
    throw new ConfigError("LIMITS_DEFAULT_REQUEST_USD", `must be a number of dollars from 0 to ${MAX_EXACT_USD}, but is '${String(raw)}'.`);
  }
  return usdToNanos(value);
}

export function parseUsageConfig(env: Record<string, unknown>): UsageConfig {
  return {
    counting: choiceVar(env, "USAGE_COUNTING", ["on", "off"], "on") === "on",
    limitsFailMode: choiceVar(env, "LIMITS_FAIL_MODE", ["open", "closed"], "open"),
    prices: parsePrices(env),
    defaultOutputTokens: integerVar(env, "LIMITS_DEFAULT_OUTPUT_TOKENS", 1024, 0),
    defaultRequestNanoUsd: defaultRequestNanoUsd(env),
  };
}
