import { createRouter } from "../../http/router";
import { createResponseHandler, deleteResponseHandler, getResponseHandler, inputTokensHandler, listInputItemsHandler } from "./responses.handlers";
import { createResponseRoute, deleteResponseRoute, getResponseRoute, inputTokensRoute, listInputItemsRoute } from "./responses.routes";

// input_tokens before {response_id}: a static path wins over the parameter.
export const responsesRouter = createRouter()
  .openapi(inputTokensRoute, inputTokensHandler)
  .openapi(createResponseRoute, createResponseHandler)
  .openapi(getResponseRoute, getResponseHandler)
  .openapi(deleteResponseRoute, deleteResponseHandler)
  .openapi(listInputItemsRoute, listInputItemsHandler);
