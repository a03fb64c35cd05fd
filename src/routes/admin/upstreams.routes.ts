import { createRoute } from "@hono/zod-openapi";
import { UpstreamListSchema } from "../../schemas/upstreams";
import { errorResponse, jsonResponse } from "../openapi-responses";

export const listUpstreamsRoute = createRoute({
  tags: ["Admin"],
  security: [{ AdminToken: [] }],
  method: "get",
  path: "/admin/upstreams",
  operationId: "listUpstreams",
  summary: "The upstreams as parsed from UPSTREAMS (or UPSTREAM_BASE_URL), without secrets",
  responses: { 200: jsonResponse(UpstreamListSchema, "The upstreams, in routing order"), 401: errorResponse("Missing or wrong admin token") },
});
