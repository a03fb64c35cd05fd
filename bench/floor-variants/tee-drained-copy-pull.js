// A floor variant (see docs/performance.md): as coalesced-pull.js, but reading one half of a tee() whose other half
// workerd reads whole (new Response(half).arrayBuffer()): cheap per chunk, but the client's first byte of a slow
// stream comes at its end, since workerd then reads the shared source in large pieces.
import { coalescedStream } from "./coalesced-stream.mjs";

export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const [drain, copy] = upstream.body.tee();
    ctx.waitUntil(new Response(drain).arrayBuffer().catch(() => {}));
    const stream = coalescedStream(copy.getReader());
    return new Response(stream, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
