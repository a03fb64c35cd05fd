import { findTopLevelKeys } from "../upstream/json-bytes";
import { tokenUsageFrom } from "./event";
import type { TokenUsage } from "./request-finished";

const USAGE_KEY = new TextEncoder().encode("usage");

/** The `usage` object of a JSON answer's bytes, parsed alone; null when there is none. */
function usageOf(pieces: Uint8Array[]): TokenUsage | null {
  let bytes = pieces.length === 1 ? pieces[0] : new Uint8Array(pieces.reduce((n, piece) => n + piece.length, 0));
  if (pieces.length > 1) {
    let at = 0;
    for (const piece of pieces) {
      bytes.set(piece, at);
      at += piece.length;
    }
  }
  const [usage] = findTopLevelKeys(bytes, 0, bytes.length, [USAGE_KEY]) ?? [null];
  if (!usage) return null;
  try {
    return tokenUsageFrom(JSON.parse(new TextDecoder().decode(bytes.subarray(usage.value, usage.end))));
  } catch {
    return null;
  }
}

/**
 * Passes a JSON answer through to the client unchanged, piece by piece, and reads its `usage` once
 * the whole body has gone by. `usage` is null when the body is not JSON with a usage object, or
 * when the client went away before the end. A pull-based stream, not a TransformStream: in workerd
 * a pipe through a TransformStream cost about twice as much isolate CPU per body.
 */
export function observeJsonUsage(body: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; usage: Promise<TokenUsage | null> } {
  const reader = body.getReader();
  const pieces: Uint8Array[] = [];
  let resolve!: (usage: TokenUsage | null) => void;
  const usage = new Promise<TokenUsage | null>((r) => (resolve = r));
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          resolve(null);
          controller.error(err);
          return;
        }
        if (result.done) {
          controller.close();
          resolve(usageOf(pieces));
          return;
        }
        // A copy: the runtime may take over (detach) the buffer it sends on.
        pieces.push(result.value.slice());
        controller.enqueue(result.value);
      },
      cancel(reason) {
        resolve(null);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, usage };
}
