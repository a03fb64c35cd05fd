// The Responses API's objects as the gateway handles them: loosely typed JSON, because clients and
// upstreams add fields faster than the spec, and every field the gateway does not read passes through.

export type Json = Record<string, any>;

/** One input or output item (`message`, `function_call`, `reasoning`, …). */
export type Item = Json;

/** A `response` object. */
export type ResponseObject = Json;

/** The body of POST /v1/responses. */
export type CreateResponseBody = Json & { model: string };

export const isObject = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

/** What the gateway keeps of a response. */
export interface StoredResponse {
  response: ResponseObject;
  /** The whole input the response was made from, in order, each item with its id. */
  input: Item[];
  /** Gateway item id -> the upstream's id, for reasoning items that go back to the upstream that made them. */
  upstreamIds?: Record<string, string>;
  /** The upstream that answered. */
  upstream: string | null;
}
