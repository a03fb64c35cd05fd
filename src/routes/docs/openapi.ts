import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/types";

/** The order and descriptions of the explorer's sections (each route names its tag). */
const TAGS = [
  { name: "Chat", description: "OpenAI's chat completions API, proxied to the upstream (`UPSTREAM_BASE_URL`). Needs a team key." },
  {
    name: "Stored completions",
    description: "The completions a team stored with `store: true`, served by the gateway itself. Needs a team key.",
  },
  {
    name: "Models",
    description: "The models the upstreams serve (each upstream's own list, kept to its patterns), filtered by the key's allowed models. Needs a team key.",
  },
  {
    name: "Passed through",
    description:
      "OpenAI's stateless endpoints, passed through to the upstream that serves the model, with the same auth, allow-list, routing, retries and fallback as chat. Needs a team key.",
  },
  {
    name: "Admin",
    description:
      "Teams and their keys. Needs the `ADMIN_TOKEN` (locally, in `.dev.vars`): create a team, then a key, then use the key with Authorize → TeamKey.",
  },
  {
    name: "Usage",
    description: "OpenAI's organization Usage and Costs APIs, with teams as projects. The admin token sees every team; a team key, its own team.",
  },
];

/** Serves the OpenAPI 3.1 document generated from the Zod route definitions. */
export function registerOpenApiDocument(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "TeamKey", {
    type: "http",
    scheme: "bearer",
    description: "A team's gateway key (`sk-gw-…`), created through the admin API.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "AdminToken", {
    type: "http",
    scheme: "bearer",
    description: "The gateway's ADMIN_TOKEN secret.",
  });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "LLM gateway",
      version: "1.0.0",
      description: "An OpenAI-compatible gateway that serves OpenAI's stored chat completions API itself, per team.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
    tags: TAGS,
  }));
}
