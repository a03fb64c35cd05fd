import { logEvent } from "../log";
import { SseParser } from "../lib/sse";
import { tokenUsageFrom } from "./event";
import { observeJsonUsage } from "./observe-usage";
import type { TokenUsage } from "./types";

// The usage a passed-through answer reports, read from a copy of its body so that the client's
// bytes are never held back for it.

/** The usage of the last event of an SSE body that has one (legacy completions streams). */
export function usageOfEventStream(text: string): TokenUsage | null {
  const parser = new SseParser();
  let usage: TokenUsage | null = null;
  for (const event of [...parser.push(text), ...parser.flush()]) {
    if (!event.data.includes('"usage"')) continue;
    try {
      usage = tokenUsageFrom(JSON.parse(event.data)?.usage) ?? usage;
    } catch {
      // Not JSON: not a usage chunk.
    }
  }
  return usage;
}

const MEDIA_BODY = /^\s*(audio|image|video)\/|^\s*application\/octet-stream/i;

/**
 * The client's body, as it comes, and the usage it reports, read from a copy split off with tee():
 * a JSON answer through chat's reader (only its `usage` object is parsed), an SSE answer (legacy
 * completions) for its last usage event. Media (speech) reports none and is not copied. A body
 * that breaks gives null.
 */
export function withReportedUsage(body: ReadableStream<Uint8Array>, contentType: string): { body: ReadableStream<Uint8Array>; usage: Promise<TokenUsage | null> } {
  if (MEDIA_BODY.test(contentType)) return { body, usage: Promise.resolve(null) };
  if (!contentType.includes("text/event-stream")) {
    const observed = observeJsonUsage(body);
    return { body: observed.stream, usage: observed.usage };
  }
  const [client, copy] = body.tee();
  const usage = new Response(copy)
    .text()
    .then(usageOfEventStream)
    .catch((err) => {
      logEvent("warn", "usage_not_read", { error: String(err) });
      return null;
    });
  return { body: client, usage };
}
