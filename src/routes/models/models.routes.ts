import { createRoute } from "@hono/zod-openapi";
import { ListModelsResponseSchema, ModelParamSchema, ModelSchema } from "../../schemas/models";
import { commonErrorResponses, jsonResponse } from "../openapi-responses";

const base = { tags: ["Models"], security: [{ TeamKey: [] }] };

export const listModelsRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/models",
  operationId: "listModels",
  summary: "List the models the upstreams serve that this key may use (cached up to 5 minutes)",
  responses: { 200: jsonResponse(ListModelsResponseSchema, "The models"), ...commonErrorResponses },
});

export const retrieveModelRoute = createRoute({
  ...base,
  method: "get",
  path: "/v1/models/{model}",
  operationId: "retrieveModel",
  summary: "Get one model, if an upstream serves it and this key may use it",
  request: { params: ModelParamSchema },
  responses: { 200: jsonResponse(ModelSchema, "The model"), ...commonErrorResponses },
});
