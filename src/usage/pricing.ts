import { calcPrice } from "@pydantic/genai-prices";
import type { ImagePrice, ModelPriceOverride } from "../config/usage";
import type { UsageKind } from "../db/schema";
import { usdToNanos } from "../lib/money";
import type { RequestCost, RequestedUnits, TokenUsage, UsageEstimate } from "./types";

// Prices come from @pydantic/genai-prices, a maintained database bundled with the worker (~470 KB
// minified, ~77 KB gzipped), and PRICES, which overrides or adds models. Nothing is fetched at run time.
// Rates are held in pico-dollars (1e-12 USD) per unit, so that a count times a rate is an exact
// integer; each request's cost is then rounded once, to the nano-dollar it is stored in.

/** A model's rates, in pico-dollars per token, per second or per character; null where it has none. */
interface ModelRates {
  tokens: { input: number; cachedInput: number; output: number } | null;
  /** USD per image, by size and quality (PRICES only: the database prices images by tokens). */
  image: ImagePrice | null;
  /** Per second of audio transcribed or translated. */
  audioSecond: number | null;
  /** Per character of speech. */
  speechChar: number | null;
}

const picosPerMtok = (usdPerMtok: number) => Math.round(usdPerMtok * 1e6);
const nanosOf = (count: number, picosEach: number) => Math.round((count * picosEach) / 1000);

function ratesFromOverride(p: ModelPriceOverride): ModelRates {
  const hasTokens = p.input_per_mtok !== undefined && p.output_per_mtok !== undefined;
  return {
    tokens: hasTokens ? { input: picosPerMtok(p.input_per_mtok!), cachedInput: picosPerMtok(p.cached_input_per_mtok ?? p.input_per_mtok!), output: picosPerMtok(p.output_per_mtok!) } : null,
    image: p.per_image ?? null,
    audioSecond: p.per_minute !== undefined ? Math.round((p.per_minute * 1e12) / 60) : null,
    speechChar: p.per_mchar !== undefined ? picosPerMtok(p.per_mchar) : null,
  };
}

// calcPrice matches the model against every provider's patterns; one answer per model per isolate.
const databaseRates = new Map<string, ModelRates | null>();

/** The rates of a model, from PRICES first and the database second; null when neither has it. */
function modelRates(model: string, overrides: Record<string, ModelPriceOverride>): ModelRates | null {
  const override = overrides[model];
  if (override) return ratesFromOverride(override);
  let rates = databaseRates.get(model);
  if (rates === undefined) {
    rates = databaseRatesOf(model);
    databaseRates.set(model, rates);
  }
  return rates;
}

/** The database's price of `usage`, or undefined: it throws on a unit a model prices only in part. */
function totalPrice(usage: Record<string, number>, model: string): number | undefined {
  try {
    return calcPrice(usage, model)?.total_price;
  } catch {
    return undefined;
  }
}

/** Rates read back from the database by pricing one million of each unit it has a price for. */
function databaseRatesOf(model: string): ModelRates | null {
  const MTOK = 1_000_000;
  const found = calcPrice({ input_tokens: MTOK, output_tokens: 0 }, model);
  if (!found) return null;
  const prices = found.model_price;
  // A model priced only per hour (whisper-1) has no token price: its tokens are not free.
  const tokenPriced = prices.input_mtok !== undefined || prices.output_mtok !== undefined;
  const cached = tokenPriced ? calcPrice({ input_tokens: MTOK, cache_read_tokens: MTOK, output_tokens: 0 }, model) : null;
  const output = tokenPriced ? calcPrice({ input_tokens: 0, output_tokens: MTOK }, model) : null;
  const audioHour = typeof prices.audio_hours === "number" ? totalPrice({ audio_seconds: 3600 }, model) : undefined;
  const speechMchar = typeof prices.input_mchars === "number" ? totalPrice({ input_characters: MTOK }, model) : undefined;
  const rates: ModelRates = {
    tokens: tokenPriced
      ? { input: picosPerMtok(found.input_price), cachedInput: picosPerMtok(cached?.input_price ?? found.input_price), output: picosPerMtok(output?.output_price ?? 0) }
      : null,
    image: null,
    audioSecond: audioHour !== undefined ? Math.round((audioHour * 1e12) / 3600) : null,
    speechChar: speechMchar !== undefined ? picosPerMtok(speechMchar) : null,
  };
  return rates.tokens || rates.audioSecond !== null || rates.speechChar !== null ? rates : null;
}

/** The nano-dollars of one image of `size` and `quality`, or null when the price does not name them. */
export function imagePriceNanos(price: ImagePrice, size: string | undefined, quality: string | undefined): number | null {
  if (typeof price === "number") return usdToNanos(price);
  const bySize = size !== undefined ? price[size] : undefined;
  if (typeof bySize === "number") return usdToNanos(bySize);
  const byQuality = bySize && quality !== undefined ? bySize[quality] : undefined;
  return typeof byQuality === "number" ? usdToNanos(byQuality) : null;
}

const NO_COST = { inputNanoUsd: 0, cachedInputNanoUsd: 0, outputNanoUsd: 0, unitsNanoUsd: 0 };

function tokenCost(rates: NonNullable<ModelRates["tokens"]>, usage: TokenUsage) {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
  return {
    inputNanoUsd: nanosOf(uncached, rates.input),
    cachedInputNanoUsd: nanosOf(usage.cachedInputTokens, rates.cachedInput),
    outputNanoUsd: nanosOf(usage.outputTokens, rates.output),
  };
}

/**
 * What a finished request cost. Images are priced per image where PRICES gives `per_image`, speech
 * per character and transcription per second where a price exists, and everything else (gpt-image-1,
 * gpt-4o-transcribe…) by the tokens the upstream reported.
 */
export function priceRequest(kind: UsageKind, model: string, usage: TokenUsage | null, requested: RequestedUnits | null, prices: Record<string, ModelPriceOverride>): RequestCost {
  const rates = modelRates(model, prices);
  const seconds = usage?.seconds;
  const units = kind === "audio_transcriptions" ? (seconds ?? 0) : (requested?.units ?? 0);
  if (kind === "images" && rates?.image != null) {
    const each = imagePriceNanos(rates.image, requested?.size, requested?.quality);
    return { ...NO_COST, units, priced: each !== null, known: requested !== null, unitsNanoUsd: each === null ? 0 : units * each };
  }
  if (kind === "audio_speeches" && rates?.speechChar != null) {
    return { ...NO_COST, units, priced: true, known: requested !== null, unitsNanoUsd: nanosOf(units, rates.speechChar) };
  }
  if (kind === "audio_transcriptions" && rates?.audioSecond != null && (seconds !== undefined || !rates.tokens)) {
    return { ...NO_COST, units, priced: true, known: seconds !== undefined, unitsNanoUsd: seconds !== undefined ? nanosOf(seconds, rates.audioSecond) : 0 };
  }
  const unitsKnown = (kind === "images" || kind === "audio_speeches") && requested !== null;
  if (!rates?.tokens) return { ...NO_COST, units, priced: false, known: usage !== null || unitsKnown };
  if (!usage) return { ...NO_COST, units, priced: true, known: false };
  return { ...NO_COST, units, priced: true, known: true, ...tokenCost(rates.tokens, usage) };
}

export const totalNanos = (cost: Pick<RequestCost, "inputNanoUsd" | "cachedInputNanoUsd" | "outputNanoUsd" | "unitsNanoUsd">) =>
  cost.inputNanoUsd + cost.cachedInputNanoUsd + cost.outputNanoUsd + cost.unitsNanoUsd;

/**
 * The nano-dollars reserved against a budget before a request is sent. A cost that only the answer
 * can tell (an unpriced model; images, speech or audio priced by tokens or seconds) is reserved at
 * `defaultNanoUsd` (LIMITS_DEFAULT_REQUEST_USD), never at 0.
 */
export function estimateNanos(estimate: UsageEstimate, prices: Record<string, ModelPriceOverride>, defaultNanoUsd: number): number {
  const { kind, requested } = estimate;
  const rates = modelRates(estimate.model, prices);
  if (kind === "images" && rates?.image != null && requested) {
    const each = imagePriceNanos(rates.image, requested.size, requested.quality);
    return each === null ? defaultNanoUsd : requested.units * each;
  }
  if (kind === "audio_speeches" && rates?.speechChar != null && requested) return nanosOf(requested.units, rates.speechChar);
  if (kind === "images" || kind === "audio_speeches" || kind === "audio_transcriptions" || !rates?.tokens) return defaultNanoUsd;
  return nanosOf(estimate.inputTokens, rates.tokens.input) + nanosOf(estimate.outputTokens, rates.tokens.output);
}
