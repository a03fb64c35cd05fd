import { logEvent } from "../log";
import { SseParser } from "../upstream/sse";
import { tokenUsageFrom } from "../usage/event";
import type { TokenUsage } from "../usage/request-finished";

// The usage a passed-through answer reports, read from a copy of its body so that the client's
// bytes are never held back for it.

/** The usage in a JSON body, or in the last SSE event that has one. */
export function usageOfBodyText(text: string, isEventStream: boolean): TokenUsage | null {
  if (!isEventStream) {
    try {
      return tokenUsageFrom(JSON.parse(text)?.usage);
    } catch {
      return null;
    }
  }
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

/**
 * Splits `body` in two: one for the client, as it comes, and a copy read to the end for its usage.
 * The usage settles when the copy ends; a body that breaks gives null.
 */
export function withReportedUsage(body: ReadableStream<Uint8Array>, contentType: string): { body: ReadableStream<Uint8Array>; usage: Promise<TokenUsage | null> } {
  const [client, copy] = body.tee();
  const usage = new Response(copy)
    .text()
    .then((text) => usageOfBodyText(text, contentType.includes("text/event-stream")))
    .catch((err) => {
      logEvent("warn", "usage_not_read", { error: String(err) });
      return null;
    });
  return { body: client, usage };
}
