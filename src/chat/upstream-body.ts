import type { CreateChatCompletionRequest } from "../schemas/openai";

/**
 * The body sent upstream: the client's, minus what the gateway itself handles. `wantUsage`: the
 * gateway needs the stream's usage (to store it, count it, or settle a reservation).
 */
export function upstreamRequestBody(request: CreateChatCompletionRequest, store: boolean, wantUsage = true): { body: string; hideUsage: boolean } {
  // `store` and `metadata` stay here: the gateway is the store, and some compatible servers reject them.
  const { store: _store, metadata: _metadata, ...forwarded } = request;
  let hideUsage = false;
  if ((store || wantUsage) && request.stream === true && request.stream_options?.include_usage !== true) {
    // Ask for usage so the gateway has it; the client, who did not ask, will not see it.
    forwarded.stream_options = { ...request.stream_options, include_usage: true };
    hideUsage = true;
  }
  return { body: JSON.stringify(forwarded), hideUsage };
}
