// The messages of the gateway's one background queue. Each kind has one consumer module.
import type { UsageEvent } from "../usage/event";

/** A placeholder until the first kind lands. */
export interface NoopMessage {
  kind: "noop";
}

/** One counted request (src/usage/record-usage.ts writes it). */
export interface UsageMessage {
  kind: "usage";
  event: UsageEvent;
}

export type BackgroundMessage = NoopMessage | UsageMessage;
