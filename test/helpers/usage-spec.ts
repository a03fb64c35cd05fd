import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
// OpenAI's organization usage and costs endpoints, every one, cut from openai/openai-openapi (MIT,
// info.version 2.3.0) and copied unchanged. Vite inlines the JSON (workerd has no filesystem).
import usageSpec from "../fixtures/openai-usage.openapi.json";

// Ajv over the whole spec, as spec.ts does, so each schema validates with its full $ref closure.
const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: true });
addFormats(ajv);
// OpenAPI formats that are not JSON Schema's (int64 is any integer here: JSON numbers).
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
ajv.addSchema(structuredClone(usageSpec), "usage");

function compile(component: string): ValidateFunction {
  const validate = ajv.getSchema(`usage#/components/schemas/${component}`);
  if (!validate) throw new Error(`no schema ${component}`);
  return validate;
}

const validators = {
  UsageResponse: compile("UsageResponse"),
  UsageModerationsResult: compile("UsageModerationsResult"),
  UsageImagesResult: compile("UsageImagesResult"),
  UsageAudioSpeechesResult: compile("UsageAudioSpeechesResult"),
  UsageAudioTranscriptionsResult: compile("UsageAudioTranscriptionsResult"),
  CostsResult: compile("CostsResult"),
};

export type UsageSchemaName = keyof typeof validators;

/** The spec violations of `body` as readable lines; [] when it conforms. */
export function usageSpecErrors(schema: UsageSchemaName, body: unknown): string[] {
  const validate = validators[schema];
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}
