import { z } from "@hono/zod-openapi";
import { zodErrorToApiError } from "../../http/router";
import type { ListCompletionsQuery } from "../../db/completions";
import { parseMetadataFilter } from "../completions/metadata-filter";

// The console's filters on stored completions: those of OpenAI's list (model, metadata[k]=v, after)
// plus a `created` range, all answered from the list's own indexes.

const unixSeconds = z.coerce.number().int().min(0).max(2 ** 40);

const FilterSchema = z.object({
  model: z.string().min(1).max(256).optional(),
  from: unixSeconds.optional(),
  to: unixSeconds.optional(),
  after: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export type CompletionFilter = Omit<ListCompletionsQuery, "teamId" | "order">;

export function readCompletionFilter(url: string): CompletionFilter {
  const { search, searchParams } = new URL(url);
  const parsed = FilterSchema.safeParse(Object.fromEntries([...searchParams].filter(([name]) => !name.startsWith("metadata["))));
  if (!parsed.success) throw zodErrorToApiError(parsed.error, "query");
  const { model, from, to, after, limit } = parsed.data;
  return { model, createdFrom: from, createdTo: to, after, limit, metadata: parseMetadataFilter(search) };
}
