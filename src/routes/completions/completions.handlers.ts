import type { AppContext, AppRouteHandler } from "../../app";
import { invalidRequest, notFound } from "../../errors";
import { completionsRepository } from "../../storage/completion-store";
import { listPage, parseMessageId, presentCompletion, presentMessage } from "../../storage/present";
import type {
  deleteCompletionRoute,
  getCompletionRoute,
  listCompletionsRoute,
  listMessagesRoute,
  updateCompletionRoute,
} from "./completions.routes";
import { parseMetadataFilter } from "./metadata-filter";

// One repository per D1 binding per isolate, shared with the chat route.
const repository = (c: AppContext) => completionsRepository(c.env.DB);
// The same 404 for a missing id and another team's: it must not reveal that the id exists.
const completionNotFound = (id: string) => notFound(`No chat completion found with id '${id}'.`);

export const listCompletions: AppRouteHandler<typeof listCompletionsRoute> = async (c) => {
  const query = c.req.valid("query");
  const teamId = c.var.apiKey.teamId;
  const repo = repository(c);
  const page = await repo.list({
    teamId,
    model: query.model,
    metadata: parseMetadataFilter(new URL(c.req.url).searchParams),
    after: query.after,
    limit: query.limit,
    order: query.order,
  });
  // An `after` that is not one of the team's completions is an error, not a silently empty page.
  if (page.items.length === 0 && query.after && !(await repo.exists(teamId, query.after))) {
    throw invalidRequest(`Invalid 'after': no chat completion found with id '${query.after}'.`, "after");
  }
  return c.json(listPage(page.items.map(presentCompletion), page.hasMore) as never, 200);
};

export const getCompletion: AppRouteHandler<typeof getCompletionRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const stored = await repository(c).get(c.var.apiKey.teamId, completion_id);
  if (!stored) throw completionNotFound(completion_id);
  return c.json(presentCompletion(stored) as never, 200);
};

export const updateCompletion: AppRouteHandler<typeof updateCompletionRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const { metadata } = c.req.valid("json");
  const updated = await repository(c).updateMetadata(c.var.apiKey.teamId, completion_id, metadata ?? {});
  if (!updated) throw completionNotFound(completion_id);
  return c.json(presentCompletion(updated) as never, 200);
};

export const deleteCompletion: AppRouteHandler<typeof deleteCompletionRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const deleted = await repository(c).delete(c.var.apiKey.teamId, completion_id);
  if (!deleted) throw completionNotFound(completion_id);
  return c.json({ id: completion_id, object: "chat.completion.deleted" as const, deleted: true }, 200);
};

export const listMessages: AppRouteHandler<typeof listMessagesRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const query = c.req.valid("query");
  let afterIndex: number | undefined;
  if (query.after !== undefined) {
    const index = parseMessageId(completion_id, query.after);
    if (index === null) throw invalidRequest(`Invalid 'after': '${query.after}' is not a message of chat completion '${completion_id}'.`, "after");
    afterIndex = index;
  }
  const page = await repository(c).listMessages(c.var.apiKey.teamId, completion_id, {
    afterIndex,
    limit: query.limit,
    order: query.order,
  });
  if (!page) throw completionNotFound(completion_id);
  const data = page.items.map(([index, message]) => presentMessage(completion_id, index, message));
  return c.json(listPage(data, page.hasMore), 200);
};
