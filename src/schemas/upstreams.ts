import { z } from "@hono/zod-openapi";

/** An upstream as GET /admin/upstreams shows it: never its key, only the secret's name and whether it is set. */
const UpstreamSchema = z
  .object({
    name: z.string(),
    base_url: z.string(),
    api_key_env: z.string().nullable().openapi({ description: "The secret that holds the upstream's key; null for a server without auth." }),
    has_api_key: z.boolean(),
    models: z.array(z.string()).openapi({ description: "Model patterns, in order; `*` is a wildcard." }),
    model_map: z.record(z.string(), z.string()),
  })
  .openapi("Upstream");

export const UpstreamListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(UpstreamSchema).openapi({ description: "In routing order: a request goes to the first upstream whose patterns take its model." }),
    retry_attempts: z.number().int().openapi({ description: "Attempts per upstream for a retryable failure (RETRY_ATTEMPTS)." }),
    upstream_timeout_ms: z.number().int().openapi({ description: "All attempts of a request together (UPSTREAM_TIMEOUT_MS)." }),
  })
  .openapi("UpstreamList");

export type UpstreamView = z.infer<typeof UpstreamSchema>;
