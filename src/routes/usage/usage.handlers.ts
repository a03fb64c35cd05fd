import type { UsageKind } from "../../db/schema";
import { mergeSums, type RollupSums, type UsageGroupColumn, UsageRepository } from "../../db/usage";
import { shardsOfTeams } from "../../store/shards";
import { invalidApiKey } from "../../errors";
import { nowSeconds } from "../../ids";
import {
  buildPage,
  pageRange,
  presentAudioSpeeches,
  presentAudioTranscriptions,
  presentCompletions,
  presentCosts,
  presentEmbeddings,
  presentImages,
  presentModerations,
} from "./usage.present";
import { parseUsageQuery, type UsageApi, type UsageQuery } from "./usage.query";
import type {
  audioSpeechesUsageRoute,
  audioTranscriptionsUsageRoute,
  completionsUsageRoute,
  costsRoute,
  embeddingsUsageRoute,
  imagesUsageRoute,
  moderationsUsageRoute,
} from "./usage.routes";
import type { AppContext, AppRouteHandler } from "../../http/types";

const GROUP_COLUMNS: Record<string, UsageGroupColumn> = { project_id: "teamId", api_key_id: "keyId", model: "model", size: "size" };

function readQuery(c: AppContext, api: UsageApi): UsageQuery {
  // Set by requireUsageReader; without it nothing is shown (never every team by default).
  const viewer = c.get("usageViewer");
  if (!viewer) throw invalidApiKey();
  return parseUsageQuery(new URL(c.req.url).searchParams, api, viewer, nowSeconds());
}

async function sums(c: AppContext, query: UsageQuery, kinds: UsageKind[], groupBy: UsageGroupColumn[]): Promise<RollupSums[]> {
  // A team key that named only other teams' projects gets empty buckets, without a query; so does
  // an images query for sources the gateway does not serve.
  if (query.teamIds?.length === 0 || query.noSource) return [];
  const { from, to } = pageRange(query);
  const perShard = await Promise.all(
    (await shardsOfTeams(c.env, query.teamIds)).map(({ db, teamIds }) =>
      new UsageRepository(db).sums({ width: query.widthSeconds, kinds, from, to, teamIds, keyIds: query.keyIds, models: query.models, sizes: query.sizes, groupBy }),
    ),
  );
  return mergeSums(perShard);
}

const groupColumns = (query: UsageQuery) => query.groupBy.flatMap((group) => (GROUP_COLUMNS[group] ? [GROUP_COLUMNS[group]] : []));

/** One usage API over one kind of request: its rows, grouped as asked, in OpenAI's page. */
async function usagePage<T>(c: AppContext, api: UsageApi & UsageKind, present: (query: UsageQuery) => (rows: RollupSums[]) => T[]) {
  const query = readQuery(c, api);
  return buildPage(query, await sums(c, query, [api], groupColumns(query)), present(query));
}

export const completionsUsage: AppRouteHandler<typeof completionsUsageRoute> = async (c) => c.json(await usagePage(c, "completions", () => presentCompletions), 200);

export const embeddingsUsage: AppRouteHandler<typeof embeddingsUsageRoute> = async (c) => c.json(await usagePage(c, "embeddings", () => presentEmbeddings), 200);

export const moderationsUsage: AppRouteHandler<typeof moderationsUsageRoute> = async (c) => c.json(await usagePage(c, "moderations", () => presentModerations), 200);

export const imagesUsage: AppRouteHandler<typeof imagesUsageRoute> = async (c) =>
  c.json(await usagePage(c, "images", (query) => presentImages(query.groupBy.includes("source"))), 200);

export const audioSpeechesUsage: AppRouteHandler<typeof audioSpeechesUsageRoute> = async (c) => c.json(await usagePage(c, "audio_speeches", () => presentAudioSpeeches), 200);

export const audioTranscriptionsUsage: AppRouteHandler<typeof audioTranscriptionsUsageRoute> = async (c) =>
  c.json(await usagePage(c, "audio_transcriptions", () => presentAudioTranscriptions), 200);

const EVERY_KIND: UsageKind[] = ["completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions", "other"];

export const costs: AppRouteHandler<typeof costsRoute> = async (c) => {
  const query = readQuery(c, "costs");
  // Always by model and kind too: line items are per model and say what it was priced by, and unpriced models are named in a header.
  const rows = await sums(c, query, EVERY_KIND, [...groupColumns(query), "model", "kind"]);
  const unpriced = [...new Set(rows.filter((row) => row.unpricedRequests > 0).map((row) => row.model ?? ""))];
  if (unpriced.length > 0) c.header("x-gateway-unpriced-models", unpriced.join(","));
  const page = buildPage(query, rows, presentCosts(query.groupBy.includes("line_item")));
  return c.json(page, 200);
};
