import { deletedWhilePending, forgetPending, isPending, pendingRecord, readAfterWrite } from "../../completion-store/pending";
import { completionStore } from "../../completion-store/repository";
import { completionNotFound, completionWritePending, invalidAfter, invalidMessageAfter } from "../../errors";
import { listPage, parseMessageId, presentCompletion, presentMessage } from "./completions.present";
import type {
  deleteCompletionRoute,
  getCompletionRoute,
  listCompletionsRoute,
  listMessagesRoute,
  updateCompletionRoute,
} from "./completions.routes";
import { parseMetadataFilter } from "./metadata-filter";
import type { AppContext, AppRouteHandler } from "../../http/types";

// A get, update, delete or messages call on an id the gateway has just returned finds it even if
// its write has not landed yet (completion-store/pending.ts). `list` shows it once it has landed.

// Lists may ask for packing in waitUntil (completion-store/packs.ts).
const repository = (c: AppContext) => completionStore(c.env, (work) => c.executionCtx.waitUntil(work));

/** `read`, waiting for a fresh id's write to land; a tombstone ends the wait at once. */
function afterLanding<T>(c: AppContext, id: string, read: () => Promise<T | null>): Promise<T | null> {
  const teamId = c.get("apiKey").teamId;
  return readAfterWrite(teamId, id, c.get("config").idSecret, read, () => repository(c).isDeleted(teamId, id));
}

/**
 * True once the team's completion is in D1, waiting for a fresh id's write with reads only: a
 * write (an update's, a delete's tombstone) while waiting would race, or stop, the very write awaited.
 */
const hasLanded = async (c: AppContext, id: string) =>
  (await afterLanding(c, id, async () => ((await repository(c).exists(c.get("apiKey").teamId, id)) ? true : null))) !== null;

export const listCompletions: AppRouteHandler<typeof listCompletionsRoute> = async (c) => {
  const query = c.req.valid("query");
  const teamId = c.get("apiKey").teamId;
  const repo = repository(c);
  const page = await repo.list({
    teamId,
    model: query.model,
    metadata: parseMetadataFilter(new URL(c.req.url).search),
    after: query.after,
    limit: query.limit,
    order: query.order,
  });
  // An `after` that is not one of the team's completions is an error, not a silently empty page.
  if (page.items.length === 0 && query.after && !(await repo.exists(teamId, query.after))) throw invalidAfter(query.after);
  return c.json(listPage(page.items.map(presentCompletion), page.hasMore), 200);
};

export const getCompletion: AppRouteHandler<typeof getCompletionRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const teamId = c.get("apiKey").teamId;
  const repo = repository(c);
  // Made in this isolate and not landed yet: its record is at hand.
  const read = async () => (await repo.get(teamId, completion_id)) ?? pendingRecord(teamId, completion_id);
  const stored = await afterLanding(c, completion_id, read);
  if (!stored) throw completionNotFound(completion_id);
  return c.json(presentCompletion(stored), 200);
};

export const updateCompletion: AppRouteHandler<typeof updateCompletionRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const { metadata } = c.req.valid("json");
  const teamId = c.get("apiKey").teamId;
  const repo = repository(c);
  const updated = (await hasLanded(c, completion_id)) ? await repo.updateMetadata(teamId, completion_id, metadata ?? {}) : null;
  if (!updated) {
    // Its write is still queued (D1 failing): say so, rather than that it does not exist.
    if (isPending(teamId, completion_id)) throw completionWritePending(completion_id);
    throw completionNotFound(completion_id);
  }
  forgetPending(teamId, completion_id);
  return c.json(presentCompletion(updated), 200);
};

export const deleteCompletion: AppRouteHandler<typeof deleteCompletionRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const teamId = c.get("apiKey").teamId;
  const repo = repository(c);
  // Every delete leaves a tombstone, so a write still pending can never bring the completion back.
  const wasPending = isPending(teamId, completion_id);
  if (wasPending) {
    await repo.delete(teamId, completion_id);
    deletedWhilePending(teamId, completion_id);
  } else if (!(await hasLanded(c, completion_id)) || !(await repo.delete(teamId, completion_id))) {
    throw completionNotFound(completion_id);
  }
  return c.json({ id: completion_id, object: "chat.completion.deleted" as const, deleted: true }, 200);
};

export const listMessages: AppRouteHandler<typeof listMessagesRoute> = async (c) => {
  const { completion_id } = c.req.valid("param");
  const query = c.req.valid("query");
  const teamId = c.get("apiKey").teamId;
  let afterIndex: number | undefined;
  if (query.after !== undefined) {
    const index = parseMessageId(completion_id, query.after);
    if (index === null) throw invalidMessageAfter(query.after, completion_id);
    afterIndex = index;
  }
  const repo = repository(c);
  const page = await afterLanding(c, completion_id, () => repo.listMessages(teamId, completion_id, { afterIndex, limit: query.limit, order: query.order }));
  if (!page) throw completionNotFound(completion_id);
  const data = page.items.map(([index, message]) => presentMessage(completion_id, index, message));
  return c.json(listPage(data, page.hasMore), 200);
};
