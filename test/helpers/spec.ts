import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
// OpenAI's own spec subset: the chat-completions part of openapi.json in openai/openai-openapi (MIT),
// at commit f85dbe2, copied unchanged so that a fresh clone tests on its own. Workerd has no
// filesystem, but Vite inlines the JSON when it transforms this module, so the import works in the pool.
import officialSpec from "../fixtures/openai-chat-completions.openapi.json";

// Ajv compiles validators with `new Function`, which workerd forbids. The vitest pool replaces
// `globalThis.Function` in its runner with one backed by workerd's unsafe-eval binding (test-only;
// the worker under test never gets it), so Ajv works here unchanged.

type Schema = Record<string, any>;

const SPEC_ID = "openai";
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * The exceptions to the spec that docs/contract.md requires, each as narrow as it can be. They are added
 * as new components of a copy of the spec; the official components are left untouched.
 *
 * 1. Stored input messages keep their real role. The spec types every item of
 *    ChatCompletionMessageList as a ChatCompletionResponseMessage, whose `role` enum is only
 *    "assistant"; docs/contract.md (Messages) says the list returns the request's input messages, all
 *    roles. `GatewayStoredMessage` is a copy of ChatCompletionResponseMessage with the role enum
 *    widened to the request roles, and it is used only by the message list. Nothing else changes:
 *    `content` and `refusal` are still required, and so on.
 * 2. An empty page has `first_id` and `last_id` null (docs/contract.md, List). The spec types them as
 *    strings. Both list schemas allow null there only when `data` is empty, and then require it;
 *    a page with items still needs string ids.
 */
function gatewaySpec(): Schema {
  const spec: Schema = nullableToJsonSchema(structuredClone(officialSpec));
  const schemas: Schema = spec.components.schemas;

  const requestRoles = (spec.components.schemas.ChatCompletionRequestMessage.anyOf ?? spec.components.schemas.ChatCompletionRequestMessage.oneOf)
    .map((variant: Schema) => schemas[variant.$ref.split("/").pop()].properties.role.enum)
    .flat();
  const storedMessage: Schema = structuredClone(schemas.ChatCompletionResponseMessage);
  storedMessage.properties.role = { ...storedMessage.properties.role, enum: [...new Set(requestRoles)] };
  delete storedMessage.properties.role["x-stainless-const"];
  schemas.GatewayStoredMessage = storedMessage;

  const messageList: Schema = structuredClone(schemas.ChatCompletionMessageList);
  const item = messageList.properties.data.items;
  if (item.allOf?.[0]?.$ref !== ref("ChatCompletionResponseMessage").$ref) throw new Error("the spec's ChatCompletionMessageList changed shape");
  item.allOf[0] = ref("GatewayStoredMessage");
  schemas.GatewayChatCompletionMessageList = withNullIdsWhenEmpty(messageList);
  schemas.GatewayChatCompletionList = withNullIdsWhenEmpty(structuredClone(schemas.ChatCompletionList));
  return spec;
}

/**
 * Some schemas of the subset (the stream chunk's `finish_reason`, `logprobs` and `usage`, a few
 * request fields) still use OpenAPI 3.0's `nullable: true`. Ajv refuses it without a `type`, and
 * with an `enum` it would still refuse null. Its meaning, "this or null", is spelled the JSON Schema
 * way. This is a translation, not an exception: it allows nothing the spec does not.
 */
function nullableToJsonSchema(node: any): any {
  if (Array.isArray(node)) return node.map(nullableToJsonSchema);
  if (!node || typeof node !== "object") return node;
  const { nullable, ...rest }: Schema = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, nullableToJsonSchema(v)]));
  if (nullable !== true) return rest;
  const { description, default: _default, ...schema } = rest;
  return { description, anyOf: [schema, { type: "null" }] };
}

function withNullIdsWhenEmpty(list: Schema): Schema {
  const { first_id, last_id } = list.properties;
  list.properties.first_id = { anyOf: [first_id, { type: "null" }] };
  list.properties.last_id = { anyOf: [last_id, { type: "null" }] };
  list.if = { properties: { data: { maxItems: 0 } } };
  list.then = { properties: { first_id: { type: "null" }, last_id: { type: "null" } } };
  list.else = { properties: { first_id, last_id } };
  return list;
}

const ajv = new Ajv2020({
  // The spec carries OpenAPI annotations (x-oaiMeta, x-stainless-const, discriminator mappings) that
  // are not JSON Schema keywords; they are ignored, not errors.
  strict: false,
  allErrors: true,
  discriminator: true,
});
addFormats(ajv);
ajv.addFormat("unixtime", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= 0 });
ajv.addSchema(gatewaySpec(), SPEC_ID);

function compile(component: string): ValidateFunction {
  const validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${component}`);
  if (!validate) throw new Error(`no schema ${component}`);
  return validate;
}

export const validators = {
  /** A chat.completion: the create answer, get, update, and each list item. */
  CreateChatCompletionResponse: compile("CreateChatCompletionResponse"),
  /** One SSE chunk of a stream. */
  CreateChatCompletionStreamResponse: compile("CreateChatCompletionStreamResponse"),
  /** The list page, with exception 2. */
  ChatCompletionList: compile("GatewayChatCompletionList"),
  /** The messages page, with exceptions 1 and 2. */
  ChatCompletionMessageList: compile("GatewayChatCompletionMessageList"),
  ChatCompletionDeleted: compile("ChatCompletionDeleted"),
  ErrorResponse: compile("ErrorResponse"),
  /** The official schemas, without the exceptions, for tests that show the exceptions are needed. */
  official: {
    ChatCompletionList: compile("ChatCompletionList"),
    ChatCompletionMessageList: compile("ChatCompletionMessageList"),
  },
};

export type SpecSchemaName = Exclude<keyof typeof validators, "official">;

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${Object.keys(e.params).length ? " " + JSON.stringify(e.params) : ""}`);
}

/** The spec violations of `body` as readable lines; [] when it conforms. Use with `toEqual([])`. */
export function specErrors(schema: SpecSchemaName, body: unknown): string[] {
  const validate = validators[schema];
  return validate(body) ? [] : describe(validate.errors);
}

/** Throws, naming every violation, unless `body` conforms. */
export function assertConforms(schema: SpecSchemaName, body: unknown): void {
  const errors = specErrors(schema, body);
  if (errors.length > 0) throw new Error(`response does not match ${schema}:\n  ${errors.join("\n  ")}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
}
