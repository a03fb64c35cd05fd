// The benchmark's floor: the least a worker can do to proxy a chat completion. It reads the
// client's body, POSTs it to `${env.UPSTREAM_BASE_URL}/chat/completions` and returns the upstream's
// answer, streamed through as it arrives. No auth, no validation, no storage, no headers passed on.
// Run by bench/run.mjs under Miniflare exactly like the gateway's bundle; importable by a test.

export default {
  /**
   * @param {Request} request
   * @param {{ UPSTREAM_BASE_URL?: string }} env
   */
  async fetch(request, env) {
    const base = (env.UPSTREAM_BASE_URL || "").replace(/\/+$/, "");
    if (!base) return new Response("UPSTREAM_BASE_URL is not set", { status: 500 });
    if (request.method !== "POST") return new Response("POST only", { status: 405, headers: { allow: "POST" } });
    const body = await request.text();
    const upstream = await fetch(`${base}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    return new Response(upstream.body, {
      status: upstream.status,
      headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
    });
  },
};
