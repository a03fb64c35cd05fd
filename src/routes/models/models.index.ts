import { createRouter } from "../../http/router";
import { listModels, retrieveModel, retrieveModelWithSlash } from "./models.handlers";
import { listModelsRoute, retrieveModelRoute } from "./models.routes";

export const modelsRouter = createRouter()
  .openapi(listModelsRoute, listModels)
  .openapi(retrieveModelRoute, retrieveModel)
  // After the documented route, which takes every id without a slash.
  .get("/v1/models/:model{.+}", retrieveModelWithSlash);
