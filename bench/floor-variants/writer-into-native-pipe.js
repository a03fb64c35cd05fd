// A floor variant (see docs/performance.md): each read of the upstream's body written by JavaScript into workerd's native pipe.
export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    const reader = upstream.body.getReader();
    const pump = async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return writer.close();
        await writer.write(value);
      }
    };
    ctx.waitUntil(pump());
    return new Response(readable, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
