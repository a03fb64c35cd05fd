import { logEvent } from "../log";
import { SseParser } from "../upstream/sse";
import type { TokenUsage } from "../usage/request-finished";

// The usage a passed-through answer reports, read from a copy of its body so that the client's
// bytes are never held back for it.

/** OpenAI's usage object (chat, legacy completions, embeddings) as token counts; null when absent. */
export function tokenUsageOf(usage: unknown): TokenUsage | null {
  if (!usage || typeof usage !== "object") return null;
  const u = usage as Record<string, any>;
  if (typeof u.prompt_tokens !== "number") return null;
  return {
    inputTokens: u.prompt_tokens,
    cachedInputTokens: typeof u.prompt_tokens_details?.cached_tokens === "number" ? u.prompt_tokens_details.cached_tokens : 0,
    outputTokens: typeof u.completion_tokens === "number" ? u.completion_tokens : 0,
  };
}

/** The usage in a JSON body, or in the last SSE event that has one. */
export function usageOfBodyText(text: string, isEventStream: boolean): TokenUsage | null {
  if (!isEventStream) {
    try {
      return tokenUsageOf(JSON.parse(text)?.usage);
    } catch {
      return null;
    }
  }
  const parser = new SseParser();
  let usage: TokenUsage | null = null;
  for (const event of [...parser.push(text), ...parser.flush()]) {
    if (!event.data.includes('"usage"')) continue;
    try {
      usage = tokenUsageOf(JSON.parse(event.data)?.usage) ?? usage;
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
