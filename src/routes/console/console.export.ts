import type { CompletionStore } from "../../completion-store/repository";
import type { StoredCompletion } from "../../db/types";
import { presentCompletion } from "../completions/completions.present";
import type { CompletionFilter } from "./console.filter";

// Export of a filtered list as JSONL, streamed: one index page at a time is read when the client
// asks for more, so the whole set is never in memory, however large it is.

export type ExportFormat = "fine-tune" | "raw";

const PAGE = 50;
const MESSAGES_PAGE = 100;

/** Every input message of a stored completion, in order. */
async function inputMessages(repo: CompletionStore, teamId: string, id: string): Promise<unknown[]> {
  const messages: unknown[] = [];
  let afterIndex: number | undefined;
  for (;;) {
    const page = await repo.listMessages(teamId, id, { afterIndex, limit: MESSAGES_PAGE, order: "asc" });
    if (!page) return messages;
    for (const [, message] of page.items) messages.push(message);
    if (!page.hasMore || page.items.length === 0) return messages;
    afterIndex = page.items[page.items.length - 1][0];
  }
}

/** OpenAI's fine-tuning chat format: the input messages, the answer as the assistant's turn, the tools offered. */
export async function fineTuneLine(repo: CompletionStore, teamId: string, stored: StoredCompletion): Promise<Record<string, unknown>> {
  const answer = (stored.body.choices?.[0]?.message ?? {}) as Record<string, unknown>;
  const assistant: Record<string, unknown> = { role: "assistant", content: answer.content ?? null };
  if (Array.isArray(answer.tool_calls) && answer.tool_calls.length > 0) assistant.tool_calls = answer.tool_calls;
  const line: Record<string, unknown> = { messages: [...(await inputMessages(repo, teamId, stored.id)), assistant] };
  const tools = (stored.body as Record<string, unknown>).tools;
  if (Array.isArray(tools) && tools.length > 0) line.tools = tools;
  return line;
}

export function exportStream(repo: CompletionStore, teamId: string, filter: CompletionFilter, format: ExportFormat): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = filter.after;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (done) return controller.close();
        const page = await repo.list({ ...filter, teamId, after, limit: PAGE, order: "desc" });
        let text = "";
        for (const stored of page.items) {
          const line = format === "raw" ? presentCompletion(stored) : await fineTuneLine(repo, teamId, stored);
          text += `${JSON.stringify(line)}\n`;
        }
        if (text) controller.enqueue(encoder.encode(text));
        after = page.items.at(-1)?.id;
        if (!page.hasMore || after === undefined) {
          done = true;
          controller.close();
        }
      },
    },
    // One page at a time: the next is read only once the client has taken this one.
    { highWaterMark: 0 },
  );
}
