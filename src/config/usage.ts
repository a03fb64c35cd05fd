import { choiceVar } from "./values";

export interface UsageConfig {
  /** Usage events are sent to the background queue; off only for deployers who do not want them. */
  counting: boolean;
  /** What a request meets when the team's Durable Object cannot answer. */
  limitsFailMode: "open" | "closed";
}

export function parseUsageConfig(env: Record<string, unknown>): UsageConfig {
  return {
    counting: choiceVar(env, "USAGE_COUNTING", ["on", "off"], "on") === "on",
    limitsFailMode: choiceVar(env, "LIMITS_FAIL_MODE", ["open", "closed"], "open"),
  };
}
