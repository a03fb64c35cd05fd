import { tokenUsageFrom } from "./event";
import type { TokenUsage } from "./request-finished";

/**
 * Passes a JSON answer through to the client unchanged, chunk by chunk, and reads its `usage` once
 * the whole body has gone by. `usage` is null when the body is not JSON with a usage object, or
 * when the client went away before the end.
 */
export function observeJsonUsage(body: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; usage: Promise<TokenUsage | null> } {
  const pieces: Uint8Array[] = [];
  let resolve!: (usage: TokenUsage | null) => void;
  const usage = new Promise<TokenUsage | null>((r) => (resolve = r));
  const observer = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      pieces.push(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      const decoder = new TextDecoder();
      let text = "";
      for (const piece of pieces) text += decoder.decode(piece, { stream: true });
      text += decoder.decode();
      try {
        resolve(tokenUsageFrom(JSON.parse(text)?.usage));
      } catch {
        resolve(null);
      }
    },
    cancel() {
      resolve(null);
    },
  });
  return { stream: body.pipeThrough(observer), usage };
}
