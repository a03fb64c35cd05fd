import { createRouter } from "../../http/router";
import { createChatCompletion } from "./chat.handlers";
import { createChatCompletionRoute } from "./chat.routes";

export const chatRouter = createRouter().openapi(createChatCompletionRoute, createChatCompletion);
