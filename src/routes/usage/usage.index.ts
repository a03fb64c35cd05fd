import { createRouter } from "../../http/router";
import { audioSpeechesUsage, audioTranscriptionsUsage, completionsUsage, costs, embeddingsUsage, imagesUsage, moderationsUsage } from "./usage.handlers";
import {
  audioSpeechesUsageRoute,
  audioTranscriptionsUsageRoute,
  completionsUsageRoute,
  costsRoute,
  embeddingsUsageRoute,
  imagesUsageRoute,
  moderationsUsageRoute,
} from "./usage.routes";

export const usageRouter = createRouter()
  .openapi(completionsUsageRoute, completionsUsage)
  .openapi(embeddingsUsageRoute, embeddingsUsage)
  .openapi(moderationsUsageRoute, moderationsUsage)
  .openapi(imagesUsageRoute, imagesUsage)
  .openapi(audioSpeechesUsageRoute, audioSpeechesUsage)
  .openapi(audioTranscriptionsUsageRoute, audioTranscriptionsUsage)
  .openapi(costsRoute, costs);
