import { createRouter } from "../../http/router";
import {
  addItemsHandler,
  createConversationHandler,
  deleteConversationHandler,
  deleteItemHandler,
  getConversationHandler,
  getItemHandler,
  listItemsHandler,
  updateConversationHandler,
} from "./conversations.handlers";
import {
  addItemsRoute,
  createConversationRoute,
  deleteConversationRoute,
  deleteItemRoute,
  getConversationRoute,
  getItemRoute,
  listItemsRoute,
  updateConversationRoute,
} from "./conversations.routes";

export const conversationsRouter = createRouter()
  .openapi(createConversationRoute, createConversationHandler)
  .openapi(getConversationRoute, getConversationHandler)
  .openapi(updateConversationRoute, updateConversationHandler)
  .openapi(deleteConversationRoute, deleteConversationHandler)
  .openapi(addItemsRoute, addItemsHandler)
  .openapi(listItemsRoute, listItemsHandler)
  .openapi(getItemRoute, getItemHandler)
  .openapi(deleteItemRoute, deleteItemHandler);
