// A floor variant (see docs/performance.md): as coalesced-pull.js, but reading one half of a tee() whose other half
// workerd reads whole (new Response(half).arrayBuffer()): cheap per chunk, but the client's first byte of a slow
// stream comes at its end, since workerd then reads the shared source in large pieces.
export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const [drain, copy] = upstream.body.tee();
    ctx.waitUntil(new Response(drain).arrayBuffer().catch(() => {}));
    const reader = copy.getReader();
    const pending = [];
    let size = 0;
    let done = false;
    let wake = null;
    (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) { done = true; break; }
        pending.push(r.value); size += r.value.length;
        if (wake) { const w = wake; wake = null; w(); }
      }
      if (wake) { const w = wake; wake = null; w(); }
    })();
    const stream = new ReadableStream(
      {
        async pull(controller) {
          if (pending.length === 0 && !done) await new Promise((r) => (wake = r));
          if (pending.length === 1) { controller.enqueue(pending[0]); }
          else if (pending.length > 1) {
            const out = new Uint8Array(size); let at = 0;
            for (const p of pending) { out.set(p, at); at += p.length; }
            controller.enqueue(out);
          }
          pending.length = 0; size = 0;
          if (done) controller.close();
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(stream, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
};
