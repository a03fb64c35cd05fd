import { IdleWatchdog } from "../proxy/idle-timeout";
import { SseParser } from "../lib/sse";
import { bytesOf, ResponseEventWriter } from "./events";
import { outputText, toolCallItem } from "./from-chat";
import { itemId } from "./item-ids";
import { finishResponse, responseUsage } from "./response-object";
import { targetOf, type ChatTools } from "./tools";
import { isObject, type Json, type ResponseObject } from "./types";

// A chat completions stream -> a Responses event stream, in OpenAI's order: response.created and
// response.in_progress; per output item, added -> content part added -> deltas -> done events ->
// item done; then response.completed (or response.incomplete at the token limit) with the whole
// output and usage. An upstream error, a break or the idle timeout end it with an `error` event.

export type TranslatedOutcome =
  | { status: "complete"; response: ResponseObject; usage: Json | null }
  | { status: "failed"; reason: string; usage: Json | null }
  | { status: "cancelled"; usage: Json | null };

interface OpenText {
  id: string;
  index: number;
  text: string;
  logprobs: unknown[];
}

interface OpenTool {
  id: string;
  index: number;
  callId: string;
  name: string;
  args: string;
  custom: boolean;
}

/** The translation's state: what is open, what is finished. Pure; the stream around it does the I/O. */
export class ChatToResponses {
  readonly writer = new ResponseEventWriter();
  readonly output: Json[] = [];
  usage: Json | null = null;
  finishReason: string | null = null;
  upstreamError: Json | null = null;
  sawDone = false;
  private text: OpenText | null = null;
  private tool: OpenTool | null = null;
  private toolIndex = -1;

  constructor(
    readonly response: ResponseObject,
    private readonly tools: ChatTools,
  ) {}

  start(): string {
    return this.writer.response("response.created", this.response) + this.writer.response("response.in_progress", this.response);
  }

  private nextIndex(): number {
    return this.output.length + (this.text ? 1 : 0) + (this.tool ? 1 : 0);
  }

  private closeText(): string {
    const open = this.text;
    if (!open) return "";
    this.text = null;
    const part = outputText(open.text, open.logprobs);
    const item = { id: open.id, type: "message", status: this.finishReason === "length" ? "incomplete" : "completed", role: "assistant", content: [part] };
    this.output[open.index] = item;
    const at = { item_id: open.id, output_index: open.index, content_index: 0 };
    return (
      this.writer.event("response.output_text.done", { ...at, text: open.text, logprobs: open.logprobs }) +
      this.writer.event("response.content_part.done", { ...at, part }) +
      this.writer.event("response.output_item.done", { output_index: open.index, item })
    );
  }

  private closeTool(): string {
    const open = this.tool;
    if (!open) return "";
    this.tool = null;
    const item = toolCallItem(open.id, open.callId, open.name, open.args, this.tools);
    this.output[open.index] = item;
    const at = { item_id: open.id, output_index: open.index };
    const done = open.custom
      ? this.writer.event("response.custom_tool_call_input.delta", { ...at, delta: item.input }) + this.writer.event("response.custom_tool_call_input.done", { ...at, input: item.input })
      : this.writer.event("response.function_call_arguments.done", { ...at, name: item.name, arguments: open.args });
    return done + this.writer.event("response.output_item.done", { output_index: open.index, item });
  }

  private textDelta(delta: string, logprobs: unknown): string {
    let out = "";
    if (!this.text) {
      out += this.closeTool();
      const index = this.nextIndex();
      const id = itemId(this.response.id, "o", index, "message");
      this.text = { id, index, text: "", logprobs: [] };
      out += this.writer.event("response.output_item.added", { output_index: index, item: { id, type: "message", status: "in_progress", role: "assistant", content: [] } });
      out += this.writer.event("response.content_part.added", { item_id: id, output_index: index, content_index: 0, part: outputText("") });
    }
    this.text.text += delta;
    if (Array.isArray(logprobs)) this.text.logprobs.push(...logprobs);
    return out + this.writer.textDelta(this.text.id, this.text.index, delta);
  }

  private toolDelta(call: Json): string {
    let out = "";
    const index = Number.isInteger(call.index) ? call.index : this.toolIndex < 0 ? 0 : this.toolIndex;
    if (!this.tool || index !== this.toolIndex) {
      out += this.closeText() + this.closeTool();
      this.toolIndex = index;
      const name = String(call.function?.name ?? "");
      const target = targetOf(this.tools, name);
      const custom = target.kind === "custom";
      const outputIndex = this.nextIndex();
      const id = itemId(this.response.id, "o", outputIndex, custom ? "custom_tool_call" : "function_call");
      const callId = typeof call.id === "string" && call.id ? call.id : `call_${outputIndex}`;
      this.tool = { id, index: outputIndex, callId, name, args: "", custom };
      const added = toolCallItem(id, callId, name, "", this.tools, "in_progress");
      out += this.writer.event("response.output_item.added", { output_index: outputIndex, item: custom ? { ...added, input: "" } : added });
    }
    const args = call.function?.arguments;
    if (typeof args === "string" && args !== "") {
      this.tool!.args += args;
      // A custom tool's input is inside JSON arguments: it is sent whole once the call is complete.
      if (!this.tool!.custom) out += this.writer.event("response.function_call_arguments.delta", { item_id: this.tool!.id, output_index: this.tool!.index, delta: args });
    }
    return out;
  }

  /** One parsed chat chunk -> the events it makes. */
  chunk(chunk: unknown): string {
    if (!isObject(chunk)) return "";
    if (chunk.error) {
      this.upstreamError = isObject(chunk.error) ? chunk.error : { message: String(chunk.error) };
      return "";
    }
    if (isObject(chunk.usage)) this.usage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c: Json) => isObject(c) && (c.index ?? 0) === 0) : undefined;
    if (!isObject(choice)) return "";
    let out = "";
    const delta: Json = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === "string" && delta.content !== "") out += this.textDelta(delta.content, choice.logprobs?.content);
    if (typeof delta.refusal === "string" && delta.refusal !== "") out += this.textDelta(delta.refusal, null);
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) if (isObject(call)) out += this.toolDelta(call);
    if (typeof choice.finish_reason === "string") this.finishReason = choice.finish_reason;
    return out;
  }

  /** The end of a complete stream: the open items close and the response completes. */
  finish(): string {
    const out = this.closeText() + this.closeTool();
    const cut = this.finishReason === "length";
    finishResponse(this.response, this.output, responseUsage(this.usage), cut);
    return out + this.writer.response(cut ? "response.incomplete" : "response.completed", this.response);
  }
}

export interface TranslateOptions {
  idleTimeoutMs: number;
}

/** Translates an upstream chat stream as it arrives; `outcome` settles when it ends. */
export function translateChatStream(upstream: ReadableStream<Uint8Array>, state: ChatToResponses, options: TranslateOptions) {
  const reader = upstream.getReader();
  const watchdog = new IdleWatchdog(options.idleTimeoutMs, () => reader.cancel().catch(() => {}));
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let settle!: (outcome: TranslatedOutcome) => void;
  const outcome = new Promise<TranslatedOutcome>((resolve) => (settle = resolve));
  let started = false;

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, reason: string, message: string, code: string) => {
    watchdog.stop();
    if (state.sawDone && (reason === "upstream_broken" || reason === "idle_timeout")) {
      // The upstream broke off after `data: [DONE]`: the answer is whole.
      controller.enqueue(bytesOf(state.finish()));
      controller.close();
      return settle({ status: "complete", response: state.response, usage: state.usage });
    }
    controller.enqueue(bytesOf(state.writer.error(message, code)));
    controller.close();
    settle({ status: "failed", reason, usage: state.usage });
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!started) {
            started = true;
            controller.enqueue(bytesOf(state.start()));
            return;
          }
          for (;;) {
            let result: ReadableStreamReadResult<Uint8Array>;
            try {
              result = await reader.read();
            } catch {
              if (watchdog.timedOut) return fail(controller, "idle_timeout", `The upstream sent nothing for ${options.idleTimeoutMs} ms.`, "upstream_timeout");
              return fail(controller, "upstream_broken", "The upstream connection broke before the stream was complete.", "upstream_disconnected");
            }
            if (watchdog.timedOut) return fail(controller, "idle_timeout", `The upstream sent nothing for ${options.idleTimeoutMs} ms.`, "upstream_timeout");
            watchdog.piece();
            const events = result.done ? [...parser.push(decoder.decode()), ...parser.flush()] : parser.push(decoder.decode(result.value, { stream: true }));
            let out = "";
            for (const event of events) {
              if (event.data === "[DONE]") {
                state.sawDone = true;
                continue;
              }
              try {
                out += state.chunk(JSON.parse(event.data));
              } catch {
                // Not JSON (a comment, a keep-alive): nothing to translate.
              }
              if (state.upstreamError) {
                if (out) controller.enqueue(bytesOf(out));
                reader.cancel().catch(() => {});
                const error = state.upstreamError;
                return fail(controller, "upstream_error_event", String(error.message ?? "The upstream reported an error."), typeof error.code === "string" ? error.code : "upstream_error");
              }
            }
            if (result.done) {
              watchdog.stop();
              if (!state.sawDone && state.finishReason === null) {
                if (out) controller.enqueue(bytesOf(out));
                return fail(controller, "no_done", "The upstream stream ended before it was complete.", "upstream_incomplete");
              }
              controller.enqueue(bytesOf(out + state.finish()));
              controller.close();
              return settle({ status: "complete", response: state.response, usage: state.usage });
            }
            if (out) return controller.enqueue(bytesOf(out));
          }
        } catch {
          // A bug or a malformed chunk still ends the stream with an error event.
          reader.cancel().catch(() => {});
          try {
            fail(controller, "gateway_error", "The gateway could not process the upstream stream.", "stream_processing_failed");
          } catch {
            settle({ status: "failed", reason: "gateway_error", usage: state.usage });
          }
        }
      },
      cancel(reason) {
        watchdog.stop();
        settle({ status: "cancelled", usage: state.usage });
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, outcome };
}
