import { createRouter } from "../../http/router";
import { createCompletion, createEmbedding, createImage, createModeration, createSpeech, createTranscription, createTranslation } from "./passthrough.handlers";
import {
  createCompletionRoute,
  createEmbeddingRoute,
  createImageRoute,
  createModerationRoute,
  createSpeechRoute,
  createTranscriptionRoute,
  createTranslationRoute,
} from "./passthrough.routes";

export const passThroughRouter = createRouter()
  .openapi(createEmbeddingRoute, createEmbedding)
  .openapi(createCompletionRoute, createCompletion)
  .openapi(createModerationRoute, createModeration)
  .openapi(createImageRoute, createImage)
  .openapi(createSpeechRoute, createSpeech)
  .openapi(createTranscriptionRoute, createTranscription)
  .openapi(createTranslationRoute, createTranslation);
