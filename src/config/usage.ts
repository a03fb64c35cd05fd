import { z } from "@hono/zod-openapi";
import { choiceVar, ConfigError, integerVar, jsonVar } from "./values";

/** A model's price in USD per million tokens, as PRICES gives it. */
export interface ModelPriceOverride {
  input_per_mtok: number;
  cached_input_per_mtok: number;
  output_per_mtok: number;
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
}

const perMtok = z.number().finite().nonnegative();
const PricesSchema = z.record(
  z.string().min(1),
  z
    .object({ input_per_mtok: perMtok, cached_input_per_mtok: perMtok.optional(), output_per_mtok: perMtok })
    .strict()
    // Without a cached price, cached input costs what input costs (as for upstreams without caching).
    .transform((p) => ({ ...p, cached_input_per_mtok: p.cached_input_per_mtok ?? p.input_per_mtok })),
);

function parsePrices(env: Record<string, unknown>): Record<string, ModelPriceOverride> {
  const raw = jsonVar(env, "PRICES");
  if (raw === undefined) return {};
  const parsed = PricesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? ` at '${issue.path.join(".")}'` : "";
    throw new ConfigError(
      "PRICES",
      `must be an object of model -> {"input_per_mtok","cached_input_per_mtok","output_per_mtok"} (USD per million tokens, ≥ 0): ${issue.message}${where}.`,
    );
  }
  return parsed.data;
}

export function parseUsageConfig(env: Record<string, unknown>): UsageConfig {
  return {
    counting: choiceVar(env, "USAGE_COUNTING", ["on", "off"], "on") === "on",
    limitsFailMode: choiceVar(env, "LIMITS_FAIL_MODE", ["open", "closed"], "open"),
    prices: parsePrices(env),
    defaultOutputTokens: integerVar(env, "LIMITS_DEFAULT_OUTPUT_TOKENS", 1024, 0),
  };
}
