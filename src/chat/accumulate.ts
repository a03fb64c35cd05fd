import type { ChatCompletion } from "../schemas/openai";

// Rebuilds one `chat.completion` from the `chat.completion.chunk`s of a stream (docs/contract.md):
// content and refusal are concatenated per choice, tool calls merged by index, logprobs
// appended, the last non-null finish_reason kept, and usage taken from the usage chunk.

type Json = Record<string, any>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

interface ToolCallState {
  id?: string;
  type?: string;
  name?: string;
  arguments: string;
  extra: Json;
}

interface ChoiceState {
  content: string | null;
  refusal: string | null;
  toolCalls: Map<number, ToolCallState>;
  functionCall: { name?: string; arguments: string } | null;
  annotations: unknown[] | null;
  logprobs: { content: unknown[] | null; refusal: unknown[] | null } | null;
  finishReason: string | null;
}

export class CompletionAccumulator {
  private id: string | undefined;
  private created: number | undefined;
  private model: string | undefined;
  private systemFingerprint: string | undefined;
  private serviceTier: string | undefined;
  private usage: Json | undefined;
  private readonly choices = new Map<number, ChoiceState>();

  add(chunk: Json): void {
    this.id ??= typeof chunk.id === "string" && chunk.id ? chunk.id : undefined;
    this.created ??= Number.isInteger(chunk.created) ? chunk.created : undefined;
    this.model ??= typeof chunk.model === "string" ? chunk.model : undefined;
    if (typeof chunk.system_fingerprint === "string") this.systemFingerprint = chunk.system_fingerprint;
    if (typeof chunk.service_tier === "string") this.serviceTier = chunk.service_tier;
    if (chunk.usage && typeof chunk.usage === "object") this.usage = chunk.usage;
    if (!Array.isArray(chunk.choices)) return;
    for (const choice of chunk.choices) if (isObject(choice)) this.addChoice(choice);
  }

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { content: null, refusal: null, toolCalls: new Map(), functionCall: null, annotations: null, logprobs: null, finishReason: null };
      this.choices.set(index, state);
    }
    return state;
  }

  private addChoice(choice: Json): void {
    const state = this.choice(Number.isInteger(choice?.index) ? choice.index : 0);
    const delta: Json = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === "string") state.content = (state.content ?? "") + delta.content;
    if (typeof delta.refusal === "string") state.refusal = (state.refusal ?? "") + delta.refusal;
    if (Array.isArray(delta.annotations)) (state.annotations ??= []).push(...delta.annotations);
    if (delta.function_call && typeof delta.function_call === "object") {
      const fc = (state.functionCall ??= { arguments: "" });
      fc.name ??= delta.function_call.name;
      if (typeof delta.function_call.arguments === "string") fc.arguments += delta.function_call.arguments;
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const [position, call] of delta.tool_calls.entries()) {
        if (!isObject(call)) continue;
        const index = Number.isInteger(call?.index) ? call.index : position;
        let tool = state.toolCalls.get(index);
        if (!tool) {
          tool = { arguments: "", extra: {} };
          state.toolCalls.set(index, tool);
        }
        tool.id ??= call.id ?? undefined;
        tool.type ??= call.type ?? undefined;
        tool.name ??= call.function?.name ?? undefined;
        if (typeof call.function?.arguments === "string") tool.arguments += call.function.arguments;
        if (call.custom && typeof call.custom === "object") tool.extra.custom = { ...tool.extra.custom, ...call.custom };
      }
    }
    if (choice.logprobs && typeof choice.logprobs === "object") {
      const logprobs = (state.logprobs ??= { content: null, refusal: null });
      if (Array.isArray(choice.logprobs.content)) (logprobs.content ??= []).push(...choice.logprobs.content);
      if (Array.isArray(choice.logprobs.refusal)) (logprobs.refusal ??= []).push(...choice.logprobs.refusal);
    }
    if (typeof choice.finish_reason === "string") state.finishReason = choice.finish_reason;
  }

  result(fallback: { id: string; created: number; model: string }): ChatCompletion {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]) => {
        const message: Json = { role: "assistant", content: state.content, refusal: state.refusal };
        if (state.toolCalls.size > 0) {
          message.tool_calls = [...state.toolCalls.entries()]
            .sort(([a], [b]) => a - b)
            .map(([, tool]) => ({
              id: tool.id ?? "",
              type: tool.type ?? "function",
              function: { name: tool.name ?? "", arguments: tool.arguments },
              ...tool.extra,
            }));
        }
        if (state.functionCall) message.function_call = { name: state.functionCall.name ?? "", arguments: state.functionCall.arguments };
        if (state.annotations) message.annotations = state.annotations;
        return { index, message, finish_reason: state.finishReason, logprobs: state.logprobs };
      });
    const completion: Json = {
      id: this.id ?? fallback.id,
      object: "chat.completion",
      created: this.created ?? fallback.created,
      model: this.model ?? fallback.model,
      choices,
    };
    if (this.usage) completion.usage = this.usage;
    if (this.systemFingerprint !== undefined) completion.system_fingerprint = this.systemFingerprint;
    if (this.serviceTier !== undefined) completion.service_tier = this.serviceTier;
    return completion as ChatCompletion;
  }
}
