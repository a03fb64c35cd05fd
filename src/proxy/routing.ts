import type { UpstreamConfig } from "../config";

/**
 * The upstreams that take `model`, in configured order: the first answers, the others are the
 * fallbacks. Each upstream's patterns were compiled once, when the config was read.
 */
export function upstreamsFor(upstreams: readonly UpstreamConfig[], model: string): UpstreamConfig[] {
  const matching: UpstreamConfig[] = [];
  for (const upstream of upstreams) if (upstream.modelPattern.test(model)) matching.push(upstream);
  return matching;
}

/** The upstream that serves `model` (the first that takes it), or undefined. */
export function routeOf(upstreams: readonly UpstreamConfig[], model: string): UpstreamConfig | undefined {
  return upstreams.find((upstream) => upstream.modelPattern.test(model));
}

/** The name `upstream` knows `model` by. */
export const upstreamModelName = (upstream: UpstreamConfig, model: string): string => upstream.modelMap[model] ?? model;
