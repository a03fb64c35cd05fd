import { IdleWatchdog } from "../proxy/idle-timeout";
import { SseParser } from "../lib/sse";
import { bytesOf, namedEvent, ResponseEventWriter } from "./events";
import { itemId } from "./item-ids";
import { presentItem, presentResponse } from "./present";
import { responseUsage } from "./response-object";
import { isObject, type Json, type ResponseObject } from "./types";

// An answer from a `responses` upstream, made with store: false, becomes the gateway's: the
// gateway's response id and item ids replace the upstream's (kept for reasoning items, which go back
// to it), and the request's state fields are echoed as the client sent them.

export interface Adopted {
  response: ResponseObject;
  /** Gateway item id -> upstream item id, for reasoning items. */
  upstreamIds: Record<string, string>;
}

/** The fields the gateway decides, whatever the upstream (called statelessly) said. */
function echoState(response: ResponseObject, request: Json): void {
  response.store = request.store !== false;
  response.previous_response_id = request.previous_response_id ?? null;
  if (request.conversation != null) response.conversation = { id: typeof request.conversation === "string" ? request.conversation : request.conversation?.id };
  if (request.metadata !== undefined) response.metadata = request.metadata;
}

/** Renames one output item; records the upstream id of a reasoning item. */
function adoptItem(item: Json, index: number, responseId: string, upstreamIds: Record<string, string>): Json {
  const id = itemId(responseId, "o", index, item.type);
  if (item.type === "reasoning" && typeof item.id === "string") upstreamIds[id] = item.id;
  return { ...item, id };
}

export function adoptResponse(upstream: Json, responseId: string, request: Json, model: string): Adopted {
  const upstreamIds: Record<string, string> = {};
  const output = Array.isArray(upstream.output) ? upstream.output.map((item: Json, i: number) => adoptItem(item, i, responseId, upstreamIds)) : [];
  const response: Json = { ...upstream, id: responseId, model: typeof upstream.model === "string" && upstream.model ? upstream.model : model, output };
  if (response.usage) response.usage = responseUsage(response.usage);
  echoState(response, request);
  return { response, upstreamIds };
}

export type UpstreamStreamOutcome = { status: "complete"; adopted: Adopted } | { status: "failed"; reason: string; usage: Json | null } | { status: "cancelled"; usage: Json | null };

const FINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/**
 * Passes a `responses` upstream's stream on, event by event, with the gateway's ids in place of the
 * upstream's, and keeps the final response to store. A break or the idle timeout ends it with an
 * `error` event.
 */
export function adoptResponsesStream(upstream: ReadableStream<Uint8Array>, responseId: string, request: Json, model: string, idleTimeoutMs: number, include: readonly string[]) {
  const reader = upstream.getReader();
  const watchdog = new IdleWatchdog(idleTimeoutMs, () => reader.cancel().catch(() => {}));
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const writer = new ResponseEventWriter();
  const upstreamIds: Record<string, string> = {};
  /** upstream item id -> gateway item id. */
  const renamed = new Map<string, string>();
  let final: Adopted | null = null;
  let usage: Json | null = null;
  let settle!: (outcome: UpstreamStreamOutcome) => void;
  const outcome = new Promise<UpstreamStreamOutcome>((resolve) => (settle = resolve));

  const rename = (event: Json): Json => {
    if (isObject(event.response)) {
      const adopted = adoptResponse(event.response, responseId, request, model);
      for (const [gatewayId, upstreamId] of Object.entries(adopted.upstreamIds)) upstreamIds[gatewayId] = upstreamId;
      if (adopted.response.usage) usage = adopted.response.usage;
      if (FINAL.has(event.type)) final = { response: adopted.response, upstreamIds: { ...upstreamIds } };
      // Kept whole for the store; shown as `include` asks (the gateway asks the upstream for encrypted reasoning itself).
      event.response = presentResponse(adopted.response, include);
    }
    if (isObject(event.item) && Number.isInteger(event.output_index)) {
      const upstreamId = event.item.id;
      const item = adoptItem(event.item, event.output_index, responseId, upstreamIds);
      if (typeof upstreamId === "string") renamed.set(upstreamId, item.id);
      event.item = presentItem(item, include);
    }
    if (typeof event.item_id === "string") event.item_id = renamed.get(event.item_id) ?? (Number.isInteger(event.output_index) ? itemId(responseId, "o", event.output_index, "message") : event.item_id);
    return event;
  };

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, reason: string, message: string, code: string) => {
    watchdog.stop();
    // The final response event went out already: the answer is whole, whatever came after it.
    if (final) {
      controller.close();
      return settle({ status: "complete", adopted: final });
    }
    writer.sequence = Math.max(writer.sequence, lastSequence + 1);
    controller.enqueue(bytesOf(writer.error(message, code)));
    controller.close();
    settle({ status: "failed", reason, usage });
  };
  let lastSequence = -1;

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch {
            if (watchdog.timedOut) return fail(controller, "idle_timeout", `The upstream sent nothing for ${idleTimeoutMs} ms.`, "upstream_timeout");
            return fail(controller, "upstream_broken", "The upstream connection broke before the stream was complete.", "upstream_disconnected");
          }
          if (watchdog.timedOut) return fail(controller, "idle_timeout", `The upstream sent nothing for ${idleTimeoutMs} ms.`, "upstream_timeout");
          watchdog.piece();
          const events = result.done ? [...parser.push(decoder.decode()), ...parser.flush()] : parser.push(decoder.decode(result.value, { stream: true }));
          let out = "";
          for (const event of events) {
            if (event.data === "[DONE]") continue;
            let parsed: unknown;
            try {
              parsed = JSON.parse(event.data);
            } catch {
              continue;
            }
            if (!isObject(parsed)) continue;
            if (Number.isInteger(parsed.sequence_number)) lastSequence = parsed.sequence_number;
            out += namedEvent(typeof parsed.type === "string" ? parsed.type : (event.event ?? "message"), JSON.stringify(rename(parsed)));
          }
          if (result.done) {
            watchdog.stop();
            if (out) controller.enqueue(bytesOf(out));
            if (!final) return fail(controller, "no_done", "The upstream stream ended before it was complete.", "upstream_incomplete");
            controller.close();
            return settle({ status: "complete", adopted: final });
          }
          if (out) return controller.enqueue(bytesOf(out));
        }
      },
      cancel(reason) {
        watchdog.stop();
        // A client that leaves once it has the final event still got the whole response: it is stored.
        settle(final ? { status: "complete", adopted: final } : { status: "cancelled", usage });
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, outcome };
}
