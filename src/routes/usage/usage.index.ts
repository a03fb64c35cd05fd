import { createRouter } from "../../http/router";
import { completionsUsage, costs, embeddingsUsage } from "./usage.handlers";
import { completionsUsageRoute, costsRoute, embeddingsUsageRoute } from "./usage.routes";

export const usageRouter = createRouter()
  .openapi(completionsUsageRoute, completionsUsage)
  .openapi(embeddingsUsageRoute, embeddingsUsage)
  .openapi(costsRoute, costs);
