import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
// OpenAI's spec cut to /responses* and /conversations*, from openai/openai-openapi (MIT), copied
// unchanged. Vite inlines the JSON. Same approach as spec.ts: Ajv over the whole spec.
import responsesSpec from "../fixtures/openai-responses.openapi.json";

// No `discriminator`: some of this spec's discriminated unions have branches without a `type` property, which Ajv's keyword refuses; oneOf validates them all the same.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat("unixtime", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= 0 });
ajv.addFormat("float", { type: "number", validate: () => true });
ajv.addSchema(structuredClone(responsesSpec), "responses");

const cache = new Map<string, ValidateFunction>();
function compile(component: string): ValidateFunction {
  let validate = cache.get(component);
  if (!validate) {
    validate = ajv.getSchema(`responses#/components/schemas/${component}`);
    if (!validate) throw new Error(`no schema ${component}`);
    cache.set(component, validate);
  }
  return validate;
}

export type ResponsesSchema =
  | "Response"
  | "ResponseStreamEvent"
  | "ResponseItemList"
  | "ConversationResource"
  | "ConversationItemList"
  | "ConversationItem"
  | "DeletedConversationResource"
  | "TokenCountsResource";

/** The spec violations of `body` as readable lines; [] when it conforms. */
export function responsesErrors(schema: ResponsesSchema, body: unknown): string[] {
  const validate = compile(schema);
  if (validate(body)) return [];
  // anyOf/oneOf failures list every branch; the ones that name a wrong `type` const are noise.
  const all = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  const relevant = (validate.errors ?? []).filter((e) => e.keyword !== "enum" || !e.instancePath.endsWith("/type")).map((e) => `${e.instancePath || "/"} ${e.message}`);
  return (relevant.length > 0 ? relevant : all.length > 0 ? all : ["invalid"]).slice(0, 20);
}

/** Each SSE data payload of a Responses stream, parsed; every event must name its type on an `event:` line, as OpenAI's do. */
export function streamEvents(text: string): any[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split("\n");
      const parsed = JSON.parse(lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n"));
      const named = lines.find((l) => l.startsWith("event: "))?.slice(7);
      if (named !== parsed.type) throw new Error(`event line ${JSON.stringify(named)} does not name the event's type ${parsed.type}`);
      return parsed;
    });
}
