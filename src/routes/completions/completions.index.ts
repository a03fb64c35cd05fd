import { createRouter } from "../../http/router";
import { deleteCompletion, getCompletion, listCompletions, listMessages, updateCompletion } from "./completions.handlers";
import {
  deleteCompletionRoute,
  getCompletionRoute,
  listCompletionsRoute,
  listMessagesRoute,
  updateCompletionRoute,
} from "./completions.routes";

export const completionsRouter = createRouter()
  .openapi(listCompletionsRoute, listCompletions)
  .openapi(getCompletionRoute, getCompletion)
  .openapi(updateCompletionRoute, updateCompletion)
  .openapi(deleteCompletionRoute, deleteCompletion)
  .openapi(listMessagesRoute, listMessages);
