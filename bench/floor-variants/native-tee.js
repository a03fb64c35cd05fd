// A floor variant (see docs/performance.md): one half of a tee piped natively to the client, the other read whole by
// workerd, and a tail written once the pipe has ended (where an error event would go).
export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const [toClient, copy] = upstream.body.tee();
    const out = new IdentityTransformStream();
    const finish = async () => {
      const [, whole] = await Promise.all([toClient.pipeTo(out.writable, { preventClose: true }), new Response(copy).arrayBuffer()]);
      const writer = out.writable.getWriter();
      if (whole.byteLength === 0) await writer.write(new TextEncoder().encode("event: error\ndata: {}\n\n"));
      await writer.close();
    };
    ctx.waitUntil(finish());
    return new Response(out.readable, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
