import type { AppRouteHandler } from "../../http/types";
import { responseNotFound } from "../../errors";
import { createResponse } from "../../responses/create";
import { replayEvents } from "../../responses/events";
import { includeOf, presentItem, presentResponse } from "../../responses/present";
import { resolveInput } from "../../responses/resolve";
import { deleteResponse, loadResponse } from "../../responses/store";
import type { Item } from "../../responses/types";
import { mintResponseId } from "../../responses/item-ids";
import type { createResponseRoute, deleteResponseRoute, getResponseRoute, inputTokensRoute, listInputItemsRoute } from "./responses.routes";

const includeParam = (query: { include?: string | string[]; "include[]"?: string | string[] }) => [...includeOf(query.include), ...includeOf(query["include[]"])];

export const createResponseHandler: AppRouteHandler<typeof createResponseRoute> = async (c) => createResponse(c, c.req.valid("json"));

export const getResponseHandler: AppRouteHandler<typeof getResponseRoute> = async (c) => {
  const { response_id: id } = c.req.valid("param");
  const query = c.req.valid("query");
  const stored = await loadResponse(c.env, c.get("apiKey").teamId, id);
  if (!stored) throw responseNotFound(id);
  const response = presentResponse(stored.response, includeParam(query));
  if (query.stream !== "true") return c.json(response, 200);
  const after = query.starting_after ?? -1;
  // The events as they were numbered; only those after `starting_after`.
  const events = replayEvents(response).filter((_, sequence) => sequence > after);
  return new Response(events.join(""), { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
};

export const deleteResponseHandler: AppRouteHandler<typeof deleteResponseRoute> = async (c) => {
  const { response_id: id } = c.req.valid("param");
  if (!(await deleteResponse(c.env, c.get("apiKey").teamId, id))) throw responseNotFound(id);
  return c.json({ id, object: "response.deleted" as const, deleted: true }, 200);
};

export const listInputItemsHandler: AppRouteHandler<typeof listInputItemsRoute> = async (c) => {
  const { response_id: id } = c.req.valid("param");
  const { after, limit, order, ...query } = c.req.valid("query");
  const stored = await loadResponse(c.env, c.get("apiKey").teamId, id);
  if (!stored) throw responseNotFound(id);
  const include = includeParam(query);
  const ordered: Item[] = order === "asc" ? stored.input : [...stored.input].reverse();
  // An `after` that is not an item of this response starts nothing: an empty page.
  const start = after === undefined ? 0 : ordered.findIndex((item) => item.id === after) + 1 || ordered.length;
  const page = ordered.slice(start, start + limit).map((item) => presentItem(item, include));
  return c.json({ object: "list" as const, data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: start + limit < ordered.length }, 200);
};

export const inputTokensHandler: AppRouteHandler<typeof inputTokensRoute> = async (c) => {
  const request = c.req.valid("json");
  const resolved = await resolveInput(c.env, c.get("apiKey").teamId, request, await mintResponseId(c.get("config").idSecret));
  const text = JSON.stringify({ instructions: request.instructions ?? null, input: [...resolved.history, ...resolved.given], tools: request.tools ?? [] });
  // No tokenizer runs at the edge: the same estimate as the limits' (a token per 4 bytes).
  return c.json({ object: "response.input_tokens" as const, input_tokens: Math.ceil(new TextEncoder().encode(text).length / 4) }, 200);
};

