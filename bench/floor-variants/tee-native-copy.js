// A floor variant (see README.md): the upstream's body handed to the client natively through one half of a
// tee, the other half read whole by workerd (no JavaScript per piece) and looked at once it has ended.
export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    const controller = new AbortController();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: controller.signal });
    const [toClient, copy] = upstream.body.tee();
    const watch = async () => {
      const whole = await new Response(copy).arrayBuffer();
      if (whole.byteLength === 0) controller.abort();
    };
    ctx.waitUntil(watch());
    return new Response(toClient, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
