import type { Context } from "hono";
import type { ConsoleEnv } from "../../console/env";
import { buildSeries, readSeriesQuery } from "./console.series";
import { mergeSums, UsageRepository } from "../../db/usage";
import { shardsOfTeams } from "../../store/shards";

type ConsoleContext = Context<ConsoleEnv>;

/** GET /console/api/usage: a team session reads its own team's rollups, whatever `team` says; the admin any team, or all. */
export async function usageSeries(c: ConsoleContext) {
  const query = readSeriesQuery(c.req.url);
  const session = c.get("consoleSession");
  const teamIds = session.kind === "team" ? [session.teamId] : query.team ? [query.team] : null;
  // A team's usage lives in its shard: each shard with teams asked for is read, and the buckets added up.
  const perShard = await Promise.all(
    (await shardsOfTeams(c.env, teamIds)).map(({ db, teamIds: there }) =>
      new UsageRepository(db).sums({
        width: query.width,
        kinds: ["completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions", "other"],
        from: query.from,
        to: query.to,
        teamIds: there,
        keyIds: null,
        models: null,
        sizes: null,
        groupBy: query.group ? [query.group] : [],
      }),
    ),
  );
  const rows = mergeSums(perShard);
  return c.json(buildSeries(query, rows), 200);
}
