// A floor variant (see docs/performance.md): the upstream's body piped natively through a JavaScript TransformStream.
export default {
  async fetch(request, env) {
    const body = await request.text();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const stream = upstream.body.pipeThrough(new TransformStream({ transform: (chunk, controller) => controller.enqueue(chunk) }));
    return new Response(stream, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
