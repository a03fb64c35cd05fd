import type { Context } from "hono";
import { modelNotFound } from "../../errors";
import { type ModelEntry, modelCatalog } from "../../proxy/model-catalog";
import type { listModelsRoute, retrieveModelRoute } from "./models.routes";
import type { AppContext, AppEnv, AppRouteHandler } from "../../http/types";

/** The catalog as this key sees it: only the models its allow-list names. */
async function visibleModels(c: AppContext): Promise<ModelEntry[]> {
  const models = await modelCatalog(c.get("config"), (work) => c.executionCtx.waitUntil(work));
  const allowed = c.get("apiKey").allowedModels;
  return allowed ? models.filter((m) => allowed.includes(m.id)) : models;
}

async function findModel(c: AppContext, model: string): Promise<ModelEntry> {
  const found = (await visibleModels(c)).find((m) => m.id === model);
  // The same 404 for a model no upstream serves and one the key may not use, as OpenAI answers.
  if (!found) throw modelNotFound(model);
  return found;
}

export const listModels: AppRouteHandler<typeof listModelsRoute> = async (c) => {
  return c.json({ object: "list" as const, data: await visibleModels(c) }, 200);
};

export const retrieveModel: AppRouteHandler<typeof retrieveModelRoute> = async (c) => {
  return c.json(await findModel(c, c.req.valid("param").model), 200);
};

/** `GET /v1/models/org/name`: ids with a slash (Together, OpenRouter, vLLM) sent without encoding it. */
export const retrieveModelWithSlash = async (c: Context<AppEnv, "/v1/models/:model{.+}">) => c.json(await findModel(c, c.req.param("model")), 200);
