import { createDb } from "../../db/client";
import type { UsageKind } from "../../db/schema";
import { type UsageGroupColumn, UsageRepository } from "../../db/usage";
import { invalidApiKey } from "../../errors";
import { nowSeconds } from "../../ids";
import { buildPage, pageRange, presentCompletions, presentCosts, presentEmbeddings } from "./usage.present";
import { parseUsageQuery, type UsageQuery } from "./usage.query";
import type { completionsUsageRoute, costsRoute, embeddingsUsageRoute } from "./usage.routes";
import type { AppContext, AppRouteHandler } from "../../http/types";

const GROUP_COLUMNS: Record<string, UsageGroupColumn> = { project_id: "teamId", api_key_id: "keyId", model: "model" };

function readQuery(c: AppContext, api: "usage" | "costs"): UsageQuery {
  // Set by requireUsageReader; without it nothing is shown (never every team by default).
  const viewer = c.get("usageViewer");
  if (!viewer) throw invalidApiKey();
  return parseUsageQuery(new URL(c.req.url).searchParams, api, viewer, nowSeconds());
}

async function sums(c: AppContext, query: UsageQuery, kinds: UsageKind[], groupBy: UsageGroupColumn[]) {
  // A team key that named only other teams' projects gets empty buckets, without a query.
  if (query.teamIds?.length === 0) return [];
  const { from, to } = pageRange(query);
  return new UsageRepository(createDb(c.env.DB)).sums({
    width: query.widthSeconds,
    kinds,
    from,
    to,
    teamIds: query.teamIds,
    keyIds: query.keyIds,
    models: query.models,
    groupBy,
  });
}

const groupColumns = (query: UsageQuery) => query.groupBy.flatMap((group) => (GROUP_COLUMNS[group] ? [GROUP_COLUMNS[group]] : []));

export const completionsUsage: AppRouteHandler<typeof completionsUsageRoute> = async (c) => {
  const query = readQuery(c, "usage");
  return c.json(buildPage(query, await sums(c, query, ["completions"], groupColumns(query)), presentCompletions), 200);
};

export const embeddingsUsage: AppRouteHandler<typeof embeddingsUsageRoute> = async (c) => {
  const query = readQuery(c, "usage");
  return c.json(buildPage(query, await sums(c, query, ["embeddings"], groupColumns(query)), presentEmbeddings), 200);
};

export const costs: AppRouteHandler<typeof costsRoute> = async (c) => {
  const query = readQuery(c, "costs");
  // Always by model too: line items are per model, and unpriced models are named in a header.
  const rows = await sums(c, query, ["completions", "embeddings", "other"], [...groupColumns(query), "model"]);
  const unpriced = [...new Set(rows.filter((row) => row.unpricedRequests > 0).map((row) => row.model ?? ""))];
  if (unpriced.length > 0) c.header("x-gateway-unpriced-models", unpriced.join(","));
  const page = buildPage(query, rows, presentCosts(query.groupBy.includes("line_item")));
  return c.json(page, 200);
};
