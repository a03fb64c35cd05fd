// A floor variant (see docs/performance.md): the upstream's body read by a JavaScript loop as it comes, and handed to
// the client through a pull-based ReadableStream that enqueues everything read since the last pull as one piece.
export default {
  async fetch(request, env) {
    const body = await request.text();
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL.replace(/\/+$/, "")}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const reader = upstream.body.getReader();
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
