import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
// OpenAI's wave-2 spec subset (models, embeddings, moderations, legacy completions, usage, costs),
// from openai/openai-openapi (MIT) at commit f85dbe2, copied unchanged. Vite inlines the JSON.
import wave2Spec from "../fixtures/openai-gateway-wave2.openapi.json";

// Same approach as spec.ts: Ajv over the whole spec, so each schema validates with its full $ref closure.
const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: true });
addFormats(ajv);
ajv.addSchema(structuredClone(wave2Spec), "wave2");

function compile(component: string): ValidateFunction {
  const validate = ajv.getSchema(`wave2#/components/schemas/${component}`);
  if (!validate) throw new Error(`no schema ${component}`);
  return validate;
}

const validators = {
  UsageResponse: compile("UsageResponse"),
  UsageCompletionsResult: compile("UsageCompletionsResult"),
  UsageEmbeddingsResult: compile("UsageEmbeddingsResult"),
  CostsResult: compile("CostsResult"),
};

/** The spec violations of `body` as readable lines; [] when it conforms. */
export function wave2Errors(schema: keyof typeof validators, body: unknown): string[] {
  const validate = validators[schema];
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}
