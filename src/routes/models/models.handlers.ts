import type { AppContext, AppRouteHandler } from "../../app";
import { modelNotFound } from "../../errors";
import { type ModelEntry, modelCatalog } from "../../upstreams/model-catalog";
import type { listModelsRoute, retrieveModelRoute } from "./models.routes";

/** The catalog as this key sees it: only the models its allow-list names. */
async function visibleModels(c: AppContext): Promise<ModelEntry[]> {
  const models = await modelCatalog(c.var.config, (work) => c.executionCtx.waitUntil(work));
  const allowed = c.var.apiKey.allowedModels;
  return allowed ? models.filter((m) => allowed.includes(m.id)) : models;
}

export const listModels: AppRouteHandler<typeof listModelsRoute> = async (c) => {
  return c.json({ object: "list" as const, data: await visibleModels(c) }, 200);
};

export const retrieveModel: AppRouteHandler<typeof retrieveModelRoute> = async (c) => {
  const { model } = c.req.valid("param");
  const found = (await visibleModels(c)).find((m) => m.id === model);
  // The same 404 for a model no upstream serves and one the key may not use, as OpenAI answers.
  if (!found) throw modelNotFound(model);
  return c.json(found, 200);
};
