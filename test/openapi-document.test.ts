import { describe, expect, it } from "vitest";
import { call, json } from "./helpers/gateway";

describe("GET /openapi.json", () => {
  it("documents every route, with both bearer security schemes", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = await json(res);
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, any>).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.operationId, op.security]),
    );
    expect(operations.map(([route]) => route).sort()).toEqual(
      [
        "POST /v1/chat/completions",
        "GET /v1/chat/completions",
        "GET /v1/chat/completions/{completion_id}",
        "POST /v1/chat/completions/{completion_id}",
        "DELETE /v1/chat/completions/{completion_id}",
        "GET /v1/chat/completions/{completion_id}/messages",
        "POST /admin/teams",
        "GET /admin/teams",
        "GET /admin/teams/{team_id}",
        "DELETE /admin/teams/{team_id}",
        "POST /admin/teams/{team_id}/keys",
        "GET /admin/teams/{team_id}/keys",
        "DELETE /admin/keys/{key_id}",
        "POST /admin/keys/{key_id}/revoke",
        "GET /v1/models",
        "GET /v1/models/{model}",
        "POST /v1/embeddings",
        "POST /v1/completions",
        "POST /v1/moderations",
        "POST /v1/images/generations",
        "POST /v1/audio/speech",
        "POST /v1/audio/transcriptions",
        "POST /v1/audio/translations",
        "GET /admin/upstreams",
        "PATCH /admin/teams/{team_id}",
        "PATCH /admin/keys/{key_id}",
        "GET /v1/organization/usage/completions",
        "GET /v1/organization/usage/embeddings",
        "GET /v1/organization/usage/moderations",
        "GET /v1/organization/usage/images",
        "GET /v1/organization/usage/audio_speeches",
        "GET /v1/organization/usage/audio_transcriptions",
        "GET /v1/organization/costs",
        "POST /v1/responses",
        "GET /v1/responses/{response_id}",
        "DELETE /v1/responses/{response_id}",
        "GET /v1/responses/{response_id}/input_items",
        "POST /v1/responses/input_tokens",
        "POST /v1/conversations",
        "GET /v1/conversations/{conversation_id}",
        "POST /v1/conversations/{conversation_id}",
        "DELETE /v1/conversations/{conversation_id}",
        "POST /v1/conversations/{conversation_id}/items",
        "GET /v1/conversations/{conversation_id}/items",
        "GET /v1/conversations/{conversation_id}/items/{item_id}",
        "DELETE /v1/conversations/{conversation_id}/items/{item_id}",
      ].sort(),
    );
    for (const [route, , security] of operations) {
      // The usage and costs APIs take either.
      const expected = (route as string).includes("/v1/organization/")
        ? [{ AdminToken: [] }, { TeamKey: [] }]
        : [{ [(route as string).includes("/admin/") ? "AdminToken" : "TeamKey"]: [] }];
      expect(security, route as string).toEqual(expected);
    }
    expect(doc.components.securitySchemes).toMatchObject({ TeamKey: { type: "http", scheme: "bearer" }, AdminToken: { type: "http", scheme: "bearer" } });
    const listParams = doc.paths["/v1/chat/completions"].get.parameters.map((p: any) => p.name).sort();
    expect(listParams).toEqual(["after", "limit", "metadata", "model", "order"]);
    expect(doc.components.schemas.CreateChatCompletionRequest).toBeDefined();
  });

  it("documents the gateway's own 429 and 503 on every route that admits requests against limits", async () => {
    const doc = await json(await call("/openapi.json"));
    const admitted = ["/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations", "/v1/images/generations", "/v1/audio/speech", "/v1/audio/transcriptions", "/v1/audio/translations"];
    for (const path of admitted) {
      const responses = doc.paths[path].post.responses;
      expect(responses["429"]?.description, path).toContain("rate_limit_exceeded");
      expect(responses["503"]?.description, path).toContain("limits_unavailable");
    }
  });
});
