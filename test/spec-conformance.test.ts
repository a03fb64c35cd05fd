import { expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import spec from "../../shared/reference/openai-chat-completions.openapi.json";

it("probe", () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: true });
  addFormats(ajv);
  ajv.addFormat("unixtime", true);
  ajv.addSchema(spec as any, "openai");
  const v = ajv.getSchema("openai#/components/schemas/ErrorResponse")!;
  expect(v({ error: { message: "x", type: "t", param: null, code: null } })).toBe(true);
  expect(v({ error: { message: "x" } })).toBe(false);
  console.log(Object.keys(spec));
});
