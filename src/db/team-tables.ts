import { consoleSessions } from "./console-sessions";
import { upstreamRollups } from "./upstream-stats";
import { conversationItems, conversations, responses, responseTombstones } from "./responses-schema";
import { apiKeys, completionFilters, completionIndex, completionPacks, completionMessages, completionMetadata, completions, completionTombstones, payloadParts, usageEvents, usageRollups, writeSpool } from "./schema";

/**
 * Every table of a team's shard that holds its rows by `team_id`, in the order a team purge empties
 * them: a completion's parts before the completion. Add a new per-team table here (or to
 * TID_TABLES, or CONTROL_TEAM_TABLES for one in the control database) and the team purge covers it.
 * (`teams` itself goes last. upstream_events names no team: its rows, an outcome's id and time, go
 * with their age.)
 */
export const TEAM_TABLES = [
  payloadParts,
  completionMessages,
  completionMetadata,
  completions,
  completionTombstones,
  writeSpool,
  responses,
  responseTombstones,
  conversationItems,
  conversations,
  usageEvents,
  usageRollups,
  upstreamRollups,
] as const;

/** The store's tables, which name the team by its integer id (`tid`) and key rows by (tid, id). */
export const TID_TABLES = [completionFilters, completionIndex, completionPacks] as const;

/** The team's tables in the control database (DB), emptied after its shard's. */
export const CONTROL_TEAM_TABLES = [consoleSessions, apiKeys] as const;
