import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app";

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
  }));
}
