import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
// OpenAI's own spec subset for models, embeddings, moderations, legacy completions, usage and costs:
// openapi.json of openai/openai-openapi (MIT) at commit f85dbe2, copied unchanged.
import wave2Spec from "../fixtures/openai-gateway-wave2.openapi.json";
import { nullableToJsonSchema } from "./spec";

const SPEC_ID = "openai-wave2";
const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: true });
addFormats(ajv);
ajv.addFormat("unixtime", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= 0 });
ajv.addFormat("float", { type: "number", validate: () => true });
ajv.addSchema(nullableToJsonSchema(structuredClone(wave2Spec)), SPEC_ID);

const validators = new Map<string, ValidateFunction>();

/** The violations of `body` against a component of the wave-2 spec, as readable lines; [] when it conforms. */
export function wave2SpecErrors(component: "ListModelsResponse" | "Model" | "CreateEmbeddingResponse" | "CreateModerationResponse" | "CreateCompletionResponse", body: unknown): string[] {
  let validate = validators.get(component);
  if (!validate) {
    validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${component}`);
    if (!validate) throw new Error(`no schema ${component}`);
    validators.set(component, validate);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}
