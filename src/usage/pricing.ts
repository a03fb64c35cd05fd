import { calcPrice } from "@pydantic/genai-prices";
import type { ModelPriceOverride } from "../config/usage";
import type { TokenUsage } from "./types";

// Prices come from @pydantic/genai-prices, a maintained database bundled with the worker (~470 KB
// minified, ~77 KB gzipped), and PRICES, which overrides or adds models. Nothing is fetched at run time.

/** A request's cost in USD, split the way the costs API lists line items. */
export interface Cost {
  /** False when neither PRICES nor the database knows the model: every amount is then 0. */
  priced: boolean;
  inputUsd: number;
  cachedInputUsd: number;
  outputUsd: number;
}

const UNPRICED: Cost = { priced: false, inputUsd: 0, cachedInputUsd: 0, outputUsd: 0 };

// calcPrice matches the model against every provider's patterns; one answer per model per isolate.
const databaseRates = new Map<string, ModelPriceOverride | null>();

/** USD per million tokens for a model, or null when it has no price. */
export function modelRates(model: string, overrides: Record<string, ModelPriceOverride>): ModelPriceOverride | null {
  const override = overrides[model];
  if (override) return override;
  let rates = databaseRates.get(model);
  if (rates === undefined) {
    rates = databaseRatesOf(model);
    databaseRates.set(model, rates);
  }
  return rates;
}

/** Rates read back from the database by pricing one million tokens of each kind. */
function databaseRatesOf(model: string): ModelPriceOverride | null {
  const MTOK = 1_000_000;
  const input = calcPrice({ input_tokens: MTOK, output_tokens: 0 }, model);
  if (!input) return null;
  const cached = calcPrice({ input_tokens: MTOK, cache_read_tokens: MTOK, output_tokens: 0 }, model);
  const output = calcPrice({ input_tokens: 0, output_tokens: MTOK }, model);
  return {
    input_per_mtok: input.input_price,
    cached_input_per_mtok: cached?.input_price ?? input.input_price,
    output_per_mtok: output?.output_price ?? 0,
  };
}

export function costOf(model: string, usage: TokenUsage, overrides: Record<string, ModelPriceOverride>): Cost {
  const rates = modelRates(model, overrides);
  if (!rates) return UNPRICED;
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
  return {
    priced: true,
    inputUsd: (uncached * rates.input_per_mtok) / 1e6,
    cachedInputUsd: (usage.cachedInputTokens * rates.cached_input_per_mtok) / 1e6,
    outputUsd: (usage.outputTokens * rates.output_per_mtok) / 1e6,
  };
}

export const totalUsd = (cost: Cost) => cost.inputUsd + cost.cachedInputUsd + cost.outputUsd;
