import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
// OpenAI's spec subset (models, embeddings, moderations, legacy completions, usage, costs),
// from openai/openai-openapi (MIT) at commit f85dbe2, copied unchanged. Vite inlines the JSON.
import modelsEmbeddingsUsageSpec from "../fixtures/openai-models-embeddings-usage.openapi.json";

// Same approach as spec.ts: Ajv over the whole spec, so each schema validates with its full $ref closure.
const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: true });
addFormats(ajv);
// OpenAPI formats that are not JSON Schema's: checked as spec.ts does (float is any number).
ajv.addFormat("unixtime", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= 0 });
ajv.addFormat("float", { type: "number", validate: () => true });
ajv.addSchema(structuredClone(modelsEmbeddingsUsageSpec), "models-embeddings-usage");

function compile(component: string): ValidateFunction {
  const validate = ajv.getSchema(`models-embeddings-usage#/components/schemas/${component}`);
  if (!validate) throw new Error(`no schema ${component}`);
  return validate;
}

const validators = {
  UsageResponse: compile("UsageResponse"),
  UsageCompletionsResult: compile("UsageCompletionsResult"),
  UsageEmbeddingsResult: compile("UsageEmbeddingsResult"),
  CostsResult: compile("CostsResult"),
  ListModelsResponse: compile("ListModelsResponse"),
  Model: compile("Model"),
  CreateEmbeddingResponse: compile("CreateEmbeddingResponse"),
};

/** The spec violations of `body` as readable lines; [] when it conforms. */
export function modelsEmbeddingsUsageErrors(schema: keyof typeof validators, body: unknown): string[] {
  const validate = validators[schema];
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}
