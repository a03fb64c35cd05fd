import { invalidRequest } from "../../errors";
import type { UsageViewer } from "../../http/types";

// The query of OpenAI's usage and costs APIs, read by hand: arrays come as `project_ids=a&project_ids=b`
// or `project_ids[]=a` (the official SDKs), which a zod query schema of single strings cannot see.

type BucketWidth = "1m" | "1h" | "1d";
const WIDTH_SECONDS: Record<BucketWidth, 60 | 3600 | 86400> = { "1m": 60, "1h": 3600, "1d": 86400 };
/** OpenAI's default and maximum `limit` (number of buckets) per width. */
const BUCKET_LIMITS: Record<BucketWidth, { default: number; max: number }> = {
  "1m": { default: 60, max: 1440 },
  "1h": { default: 24, max: 168 },
  "1d": { default: 7, max: 31 },
};
/** The costs API: only 1d, up to 180 buckets. */
const COSTS_LIMIT = { default: 7, max: 180 };

/** Each usage API and what it groups by, as OpenAI's spec lists them. */
const USAGE_GROUPS = {
  completions: ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"],
  embeddings: ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"],
  moderations: ["project_id", "user_id", "api_key_id", "model"],
  images: ["project_id", "user_id", "api_key_id", "model", "size", "source"],
  audio_speeches: ["project_id", "user_id", "api_key_id", "model"],
  audio_transcriptions: ["project_id", "user_id", "api_key_id", "model"],
  costs: ["project_id", "line_item", "api_key_id"],
} as const;

export type UsageApi = keyof typeof USAGE_GROUPS;

/** The only image source the gateway passes through: it serves no edits or variations. */
export const IMAGE_SOURCE = "image.generation";

export interface UsageQuery {
  width: BucketWidth;
  widthSeconds: 60 | 3600 | 86400;
  /** The first bucket of this page, aligned to UTC. */
  pageStart: number;
  /** Exclusive end of the whole range. */
  end: number;
  limit: number;
  /** null: no filter. An empty array matches nothing. */
  teamIds: string[] | null;
  keyIds: string[] | null;
  models: string[] | null;
  /** Image sizes (the images API's `sizes`); null: no filter. */
  sizes: string[] | null;
  /** The images API's `sources` named none the gateway serves: every result is empty. */
  noSource: boolean;
  groupBy: string[];
}

function integerParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw invalidRequest(`Invalid '${name}': expected an integer, got '${raw}'.`, name, "invalid_type");
  return Number(raw.trim());
}

/** Values per list filter: all of them are bound in one D1 statement, which takes 100 parameters. */
const MAX_LIST_VALUES = 25;

function listParam(params: URLSearchParams, name: string): string[] | null {
  const values = [...new Set([...params.getAll(name), ...params.getAll(`${name}[]`)].flatMap((v) => v.split(",")).filter((v) => v !== ""))];
  if (values.length > MAX_LIST_VALUES) throw invalidRequest(`Invalid '${name}': at most ${MAX_LIST_VALUES} values, got ${values.length}.`, name);
  return values.length > 0 ? values : null;
}

/** Parses and checks the query; every problem is a 400 naming its `param`. */
export function parseUsageQuery(params: URLSearchParams, api: UsageApi, viewer: UsageViewer, nowSeconds: number): UsageQuery {
  const start = integerParam(params, "start_time");
  if (start === undefined) throw invalidRequest("Missing required parameter: 'start_time'.", "start_time", "missing_required_parameter");
  if (start < 0) throw invalidRequest("Invalid 'start_time': must be a Unix time in seconds, at least 0.", "start_time");
  const end = integerParam(params, "end_time") ?? Math.max(nowSeconds, start + 1);
  if (end <= start) throw invalidRequest(`Invalid 'end_time': must be after start_time (${start}), got ${end}.`, "end_time");

  const widthRaw = params.get("bucket_width") ?? "1d";
  const widths: BucketWidth[] = api === "costs" ? ["1d"] : ["1m", "1h", "1d"];
  if (!(widths as string[]).includes(widthRaw)) {
    throw invalidRequest(`Invalid 'bucket_width': expected one of ${widths.map((w) => `'${w}'`).join(", ")}, got '${widthRaw}'.`, "bucket_width");
  }
  const width = widthRaw as BucketWidth;
  const widthSeconds = WIDTH_SECONDS[width];
  const bounds = api === "costs" ? COSTS_LIMIT : BUCKET_LIMITS[width];
  const limit = integerParam(params, "limit") ?? bounds.default;
  if (limit < 1 || limit > bounds.max) {
    throw invalidRequest(`Invalid 'limit': with bucket_width=${width} it must be between 1 and ${bounds.max} buckets, got ${limit}.`, "limit");
  }

  const alignedStart = Math.floor(start / widthSeconds) * widthSeconds;
  let pageStart = alignedStart;
  const page = params.get("page");
  if (page !== null && page !== "") {
    const match = /^bucket_(\d+)$/.exec(page);
    const at = match ? Number(match[1]) : NaN;
    if (!Number.isInteger(at) || at < alignedStart || at >= end || at % widthSeconds !== 0) {
      throw invalidRequest("Invalid 'page': use the next_page value of the previous answer, with the same query.", "page");
    }
    pageStart = at;
  }

  const groups: readonly string[] = USAGE_GROUPS[api];
  const groupBy = listParam(params, "group_by") ?? [];
  for (const group of groupBy) {
    if (!groups.includes(group)) throw invalidRequest(`Invalid 'group_by': '${group}' is not one of ${groups.join(", ")}.`, "group_by");
  }

  // A team key sees its own team only: asking for others narrows the answer to nothing, never to their data.
  const projectIds = listParam(params, "project_ids");
  const teamIds = viewer.kind === "admin" ? projectIds : (projectIds ?? [viewer.teamId]).filter((id) => id === viewer.teamId);

  return {
    width,
    widthSeconds,
    pageStart,
    end,
    limit,
    teamIds,
    keyIds: listParam(params, "api_key_ids"),
    models: api === "costs" ? null : listParam(params, "models"),
    sizes: api === "images" ? listParam(params, "sizes") : null,
    noSource: api === "images" && (listParam(params, "sources")?.includes(IMAGE_SOURCE) ?? true) === false,
    groupBy,
  };
}

export const encodePage = (bucketStart: number) => `bucket_${bucketStart}`;
