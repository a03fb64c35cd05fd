// The messages of the gateway's one background queue. Each kind has one consumer module.

/** A placeholder until the first kind lands. */
export interface NoopMessage {
  kind: "noop";
}

export type BackgroundMessage = NoopMessage;
