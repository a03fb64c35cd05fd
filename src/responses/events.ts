import { leanResponse } from "./response-object";
import type { Json, ResponseObject } from "./types";

// Responses stream events as SSE bytes, numbered from 0, each named on an `event:` line as OpenAI's
// are (some clients dispatch on it). The line and the start of the JSON are built once per type.

const encoder = new TextEncoder();

const prefixes = new Map<string, string>();

/** `event: <type>\ndata: {"type":"<type>",`: what every event of a type starts with. */
export function eventPrefix(type: string): string {
  let prefix = prefixes.get(type);
  if (prefix === undefined) {
    prefix = `event: ${type}\ndata: {"type":${JSON.stringify(type)},`;
    // Types come from the gateway or an upstream: a bounded set in practice, kept bounded anyway.
    if (prefixes.size < 256) prefixes.set(type, prefix);
  }
  return prefix;
}

/** An event already serialised as JSON (with its `type` first or anywhere), named by `type`. */
export function namedEvent(type: string, json: string): string {
  // An upstream's type with a line break in it would end the line early: such an event goes unnamed.
  return /[\r\n]/.test(type) ? `data: ${json}\n\n` : `event: ${type}\ndata: ${json}\n\n`;
}

const DELTA_PREFIX = eventPrefix("response.output_text.delta");

export class ResponseEventWriter {
  sequence = 0;

  /** One event; `fields` must not carry `type` or `sequence_number`. */
  event(type: string, fields: Json): string {
    // `{...}` from stringify always has a field here (sequence_number), so its `{` is dropped for the prefix's.
    return `${eventPrefix(type)}${JSON.stringify({ ...fields, sequence_number: this.sequence++ }).slice(1)}\n\n`;
  }

  /** A text delta, written by hand: it is most of a stream's events. */
  textDelta(itemId: string, outputIndex: number, delta: string): string {
    return `${DELTA_PREFIX}"item_id":"${itemId}","output_index":${outputIndex},"content_index":0,"delta":${JSON.stringify(delta)},"logprobs":[],"sequence_number":${this.sequence++}}\n\n`;
  }

  response(type: "response.created" | "response.in_progress" | "response.completed" | "response.incomplete" | "response.failed", response: ResponseObject): string {
    return this.event(type, { response: leanResponse(response) });
  }

  error(message: string, code: string | null, param: string | null = null): string {
    return this.event("error", { code, message, param });
  }
}

export const bytesOf = (text: string) => encoder.encode(text);

/** The events that deliver a finished item at once: added, its content, done. */
export function itemEvents(writer: ResponseEventWriter, item: Json, outputIndex: number): string {
  const base = { ...item, status: "in_progress" };
  let out = "";
  if (item.type === "message") {
    out += writer.event("response.output_item.added", { output_index: outputIndex, item: { ...base, content: [] } });
    (item.content ?? []).forEach((part: Json, contentIndex: number) => {
      const empty = part.type === "refusal" ? { type: "refusal", refusal: "" } : { ...part, text: "" };
      const at = { item_id: item.id, output_index: outputIndex, content_index: contentIndex };
      out += writer.event("response.content_part.added", { ...at, part: empty });
      if (part.type === "refusal") {
        out += writer.event("response.refusal.delta", { ...at, delta: part.refusal });
        out += writer.event("response.refusal.done", { ...at, refusal: part.refusal });
      } else {
        out += writer.event("response.output_text.delta", { ...at, delta: part.text, logprobs: [] });
        out += writer.event("response.output_text.done", { ...at, text: part.text, logprobs: [] });
      }
      out += writer.event("response.content_part.done", { ...at, part });
    });
  } else if (item.type === "function_call") {
    out += writer.event("response.output_item.added", { output_index: outputIndex, item: { ...base, arguments: "" } });
    out += writer.event("response.function_call_arguments.delta", { item_id: item.id, output_index: outputIndex, delta: item.arguments });
    out += writer.event("response.function_call_arguments.done", { item_id: item.id, output_index: outputIndex, name: item.name, arguments: item.arguments });
  } else if (item.type === "custom_tool_call") {
    out += writer.event("response.output_item.added", { output_index: outputIndex, item: { ...base, input: "" } });
    out += writer.event("response.custom_tool_call_input.delta", { item_id: item.id, output_index: outputIndex, delta: item.input });
    out += writer.event("response.custom_tool_call_input.done", { item_id: item.id, output_index: outputIndex, input: item.input });
  } else {
    out += writer.event("response.output_item.added", { output_index: outputIndex, item });
  }
  out += writer.event("response.output_item.done", { output_index: outputIndex, item });
  return out;
}

/** A stored response replayed as the events of its stream. */
export function replayEvents(response: ResponseObject): string[] {
  const writer = new ResponseEventWriter();
  const { usage: _usage, ...rest } = response;
  const inProgress = { ...rest, status: "in_progress", output: [], completed_at: null, incomplete_details: null };
  const events = [writer.response("response.created", inProgress), writer.response("response.in_progress", inProgress)];
  (response.output ?? []).forEach((item: Json, index: number) => {
    // One string per event, so that starting_after can cut between them.
    for (const event of itemEvents(writer, item, index).split(/(?<=\n\n)/)) if (event) events.push(event);
  });
  const last = response.status === "incomplete" ? "response.incomplete" : response.status === "failed" ? "response.failed" : "response.completed";
  events.push(writer.response(last, response));
  return events;
}
