import { createRouter } from "../../app";
import { listModels, retrieveModel } from "./models.handlers";
import { listModelsRoute, retrieveModelRoute } from "./models.routes";

export const modelsRouter = createRouter().openapi(listModelsRoute, listModels).openapi(retrieveModelRoute, retrieveModel);
