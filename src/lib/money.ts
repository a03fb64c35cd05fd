// Money is counted in integer nano-dollars (1e-9 USD), never in floating-point dollars: sums of
// integers are exact, where a million additions of $0.0000001 as doubles are not $0.1. One nano-dollar
// is finer than one token of the cheapest model ($0.02 per million tokens is 20 per token), and a
// JavaScript number holds nano-dollars exactly up to about $9 million (2^53).

const NANOS_PER_USD = 1_000_000_000;

/** The most a budget may be: its nano-dollars stay exact integers. */
export const MAX_EXACT_USD = 9_000_000;

/** Dollars, as an API takes them, to the nearest nano-dollar. */
export const usdToNanos = (usd: number): number => Math.round(usd * NANOS_PER_USD);

/** Nano-dollars to dollars, as OpenAI's APIs answer them: the double nearest to the exact decimal. */
export const nanosToUsd = (nanos: number): number => nanos / NANOS_PER_USD;
