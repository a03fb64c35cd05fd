import type { UpstreamConfig } from "../../config";
import type { UpstreamView } from "../../schemas/upstreams";
import type { listUpstreamsRoute } from "./upstreams.routes";
import type { AppRouteHandler } from "../../http/types";

/** Everything but the key itself. */
const present = (upstream: UpstreamConfig): UpstreamView => ({
  name: upstream.name,
  base_url: upstream.baseUrl,
  api_key_env: upstream.apiKeyEnv,
  has_api_key: upstream.apiKey !== undefined,
  models: upstream.models,
  model_map: upstream.modelMap,
});

export const listUpstreams: AppRouteHandler<typeof listUpstreamsRoute> = (c) => {
  const { config } = c.var;
  return c.json(
    { object: "list" as const, data: config.upstreams.map(present), retry_attempts: config.retryAttempts, upstream_timeout_ms: config.upstreamTimeoutMs },
    200,
  );
};
