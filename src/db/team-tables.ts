import { consoleSessions } from "./console-sessions";
import { upstreamEvents, upstreamRollups } from "./upstream-stats";
import { conversationItems, conversations, responses, responseTombstones } from "./responses-schema";
import { apiKeys, completionMessages, completionMetadata, completions, completionTombstones, payloadParts, usageEvents, usageRollups, writeSpool } from "./schema";

/**
 * Every table that holds a team's rows, in the order a team purge empties them: a completion's
 * parts before the completion, the keys last. Add a new per-team table here and the team purge
 * covers it. (`teams` itself goes after all of these.)
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
  upstreamEvents,
  upstreamRollups,
  consoleSessions,
  apiKeys,
] as const;
