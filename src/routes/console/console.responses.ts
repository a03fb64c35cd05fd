import type { Context } from "hono";
import type { ConsoleEnv } from "../../console/env";
import { invalidResponseAfter, responseMetadataFilter, responseNotFound } from "../../errors";
import { listStoredResponses, responseIndexed } from "../../responses/list";
import { presentItem, presentResponse } from "../../responses/present";
import { loadResponse } from "../../responses/store";
import { tokenUsageFrom } from "../../usage/event";
import { nanosToUsd } from "../../lib/money";
import { priceRequest, totalNanos } from "../../usage/pricing";
import { listPage } from "../completions/completions.present";
import { readCompletionFilter } from "./console.filter";

// The console's reads of stored Responses API objects, under /console/api/teams/:team (scopeToTeam
// has checked the team against the session). Reads only: the console does not change responses.

type ConsoleContext = Context<ConsoleEnv>;

const teamOf = (c: ConsoleContext) => c.get("apiKey").teamId;

/** One page of the index: what a row shows is in the index itself, so a page costs one query. */
export async function listResponsesPage(c: ConsoleContext) {
  const { metadata, model, createdFrom, createdTo, after, limit } = readCompletionFilter(c.req.url);
  if (metadata && Object.keys(metadata).length > 0) throw responseMetadataFilter();
  const teamId = teamOf(c);
  const page = await listStoredResponses(c.env, { teamId, model, createdFrom, createdTo, after, limit });
  if (page.items.length === 0 && after && !(await responseIndexed(c.env, teamId, after))) throw invalidResponseAfter(after);
  const rows = page.items.map((r) => ({
    id: r.id,
    created: r.created,
    model: r.model,
    status: r.status,
    upstream: r.upstream ?? null,
    previous_response_id: r.previousResponseId ?? null,
    conversation_id: r.conversationId ?? null,
    bytes: r.bodyBytes,
  }));
  return c.json(listPage(rows, page.hasMore), 200);
}

const DETAIL_ITEMS = 200;

/** A stored response with its input items (the first DETAIL_ITEMS), as the detail panel shows it. */
export async function responseDetail(c: ConsoleContext) {
  const id = c.req.param("id") ?? "";
  const stored = await loadResponse(c.env, teamOf(c), id);
  if (!stored) throw responseNotFound(id);
  const response = stored.response;
  const usage = tokenUsageFrom(response.usage);
  const cost = usage ? priceRequest("completions", String(response.model ?? ""), usage, null, c.get("config").usage.prices) : null;
  return c.json(
    {
      object: "console.response",
      response: presentResponse(response, []),
      input: stored.input.slice(0, DETAIL_ITEMS).map((item) => presentItem(item, [])),
      input_truncated: stored.input.length > DETAIL_ITEMS,
      upstream: stored.upstream ?? null,
      cost: cost ? { priced: cost.priced, usd: nanosToUsd(totalNanos(cost)) } : null,
    },
    200,
  );
}
