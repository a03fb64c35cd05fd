import { and, desc, eq, gte, lte, sql, type SQL } from "drizzle-orm";
import { responses } from "../db/responses-schema";
import { requireTeamStore } from "../store/shards";

// A team's stored responses, newest first, from its shard's D1 index alone (no body is read), paged by a
// cursor on (created, id) as responses_team_created orders them.

export interface ResponseListQuery {
  teamId: string;
  model?: string;
  createdFrom?: number;
  createdTo?: number;
  after?: string;
  limit: number;
}

export async function listStoredResponses(env: Env, query: ResponseListQuery) {
  const { teamId } = query;
  const { db } = await requireTeamStore(env, teamId);
  const conditions: SQL[] = [eq(responses.teamId, teamId)];
  if (query.model) conditions.push(eq(responses.model, query.model));
  if (query.createdFrom !== undefined) conditions.push(gte(responses.created, query.createdFrom));
  if (query.createdTo !== undefined) conditions.push(lte(responses.created, query.createdTo));
  if (query.after) {
    // A row value: what comes after the cursor's row in (created desc, id desc); none if it is not the team's.
    conditions.push(sql`(${responses.created}, ${responses.id}) < (select r.created, r.id from responses r where r.team_id = ${teamId} and r.id = ${query.after})`);
  }
  const rows = await db
    .select({
      id: responses.id,
      created: responses.created,
      model: responses.model,
      status: responses.status,
      upstream: responses.upstream,
      previousResponseId: responses.previousResponseId,
      conversationId: responses.conversationId,
      bodyBytes: responses.bodyBytes,
    })
    .from(responses)
    .where(and(...conditions))
    .orderBy(desc(responses.created), desc(responses.id))
    .limit(query.limit + 1);
  return { items: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
}

/** Whether the team has a stored response `id` in the index. */
export async function responseIndexed(env: Env, teamId: string, id: string): Promise<boolean> {
  const { db } = await requireTeamStore(env, teamId);
  const row = await db.select({ id: responses.id }).from(responses).where(and(eq(responses.teamId, teamId), eq(responses.id, id))).get();
  return row !== undefined;
}
