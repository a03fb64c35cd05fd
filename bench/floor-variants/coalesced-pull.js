// A floor variant (see docs/performance.md): the upstream's body read by a JavaScript loop as it comes, and handed to
// the client through a pull-based ReadableStream that enqueues everything read since the last pull as one piece.
import { coalescedStream } from "./coalesced-stream.mjs";

export default {
  async fetch(request, env) {
    const body = await request.text();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const stream = coalescedStream(upstream.body.getReader());
    return new Response(stream, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
