import type { Context } from "hono";
import { readCompletionFilter } from "./console.filter";
import type { ConsoleEnv } from "../../console/env";
import { exportStream, type ExportFormat } from "./console.export";
import { completionStore } from "../../completion-store/repository";
import type { StoredCompletion } from "../../db/types";
import { completionNotFound, invalidAfter, invalidRequest } from "../../errors";
import { tokenUsageFrom } from "../../usage/event";
import { nanosToUsd } from "../../lib/money";
import { priceRequest, totalNanos } from "../../usage/pricing";
import { listPage, presentCompletion, presentMessage } from "../completions/completions.present";

// The console's reads of stored completions, under /console/api/teams/:team (scopeToTeam has checked
// the team against the session). Metadata edits and deletes go through the OpenAI routes, mounted there too.

type ConsoleContext = Context<ConsoleEnv>;

const teamOf = (c: ConsoleContext) => c.get("apiKey").teamId;

/** What a list row shows: read from the page itself, so a page costs one query and no per-row call. */
function listRow(stored: StoredCompletion) {
  const body = stored.body as Record<string, any>;
  const message = body.choices?.[0]?.message ?? {};
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls.length : 0;
  const preview = typeof message.content === "string" ? message.content.slice(0, 160) : toolCalls > 0 ? `${toolCalls} tool call(s)` : "";
  return {
    id: stored.id,
    created: stored.created,
    model: body.model ?? "",
    metadata: stored.metadata,
    preview,
    usage: body.usage ?? null,
    upstream: stored.upstream ?? null,
  };
}

export async function listCompletionsPage(c: ConsoleContext) {
  const filter = readCompletionFilter(c.req.url);
  const teamId = teamOf(c);
  const repo = completionStore(c.env, (work) => c.executionCtx.waitUntil(work));
  const page = await repo.list({ ...filter, teamId, order: "desc" });
  if (page.items.length === 0 && filter.after && !(await repo.exists(teamId, filter.after))) throw invalidAfter(filter.after);
  return c.json(listPage(page.items.map(listRow), page.hasMore), 200);
}

const DETAIL_MESSAGES = 200;

export async function completionDetail(c: ConsoleContext) {
  const id = c.req.param("id") ?? "";
  const teamId = teamOf(c);
  const repo = completionStore(c.env);
  const [stored, messages] = await Promise.all([repo.get(teamId, id), repo.listMessages(teamId, id, { limit: DETAIL_MESSAGES, order: "asc" })]);
  if (!stored || !messages) throw completionNotFound(id);
  const body = stored.body as Record<string, any>;
  const usage = tokenUsageFrom(body.usage);
  const cost = usage ? priceRequest("completions", String(body.model ?? ""), usage, null, c.get("config").usage.prices) : null;
  return c.json(
    {
      object: "console.completion",
      completion: presentCompletion(stored),
      messages: messages.items.map(([index, message]) => presentMessage(id, index, message)),
      messages_truncated: messages.hasMore,
      upstream: stored.upstream ?? null,
      cost: cost ? { priced: cost.priced, usd: nanosToUsd(totalNanos(cost)) } : null,
    },
    200,
  );
}

const FORMATS: ExportFormat[] = ["fine-tune", "raw"];

export async function exportCompletions(c: ConsoleContext) {
  const format = (c.req.query("format") ?? "fine-tune") as ExportFormat;
  if (!FORMATS.includes(format)) throw invalidRequest(`Invalid 'format': expected one of ${FORMATS.map((f) => `'${f}'`).join(", ")}, got '${format}'.`, "format");
  const filter = readCompletionFilter(c.req.url);
  const teamId = teamOf(c);
  const stream = exportStream(completionStore(c.env), teamId, filter, format);
  return c.body(stream, 200, {
    "content-type": "application/x-ndjson; charset=utf-8",
    "content-disposition": `attachment; filename="${teamId}-${format === "raw" ? "completions" : "fine-tune"}.jsonl"`,
    "cache-control": "no-store",
  });
}
