import type { Context } from "hono";
import type { ConsoleEnv } from "../../console/env";
import { buildSeries, readSeriesQuery } from "./console.series";
import { createDb } from "../../db/client";
import { UsageRepository } from "../../db/usage";

type ConsoleContext = Context<ConsoleEnv>;

/** GET /console/api/usage: a team session reads its own team's rollups, whatever `team` says; the admin any team, or all. */
export async function usageSeries(c: ConsoleContext) {
  const query = readSeriesQuery(c.req.url);
  const session = c.get("consoleSession");
  const teamIds = session.kind === "team" ? [session.teamId] : query.team ? [query.team] : null;
  const rows = await new UsageRepository(createDb(c.env.DB)).sums({
    width: query.width,
    kinds: ["completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions", "other"],
    from: query.from,
    to: query.to,
    teamIds,
    keyIds: null,
    models: null,
    sizes: null,
    groupBy: query.group ? [query.group] : [],
  });
  return c.json(buildSeries(query, rows), 200);
}
