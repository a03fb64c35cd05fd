// A floor variant (see README.md): the upstream's body handed to the client natively through one half of a
// tee, the other half read piece by piece by JavaScript (as a watcher of the stream does), outside the response.
export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    const controller = new AbortController();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: controller.signal });
    const [toClient, copy] = upstream.body.tee();
    const watch = async () => {
      const reader = copy.getReader();
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
      }
      if (bytes === 0) controller.abort();
    };
    ctx.waitUntil(watch());
    return new Response(toClient, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
