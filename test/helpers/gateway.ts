import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";

export const ADMIN_TOKEN = "test-admin-token";
export const BASE = "http://gw";

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  method?: string;
  /** Extra or replaced bindings, e.g. a failing DB or a short timeout. */
  env?: Partial<Cloudflare.Env>;
}

/** Calls the worker's own fetch and waits for its waitUntil work (the store) before returning. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const { response, settled } = await callLive(path, options);
  const body = await response.arrayBuffer();
  await settled();
  return new Response(body, { status: response.status, headers: response.headers });
}

/** Calls the worker and returns the live response (for streams); `settled` waits for waitUntil work. */
export async function callLive(path: string, options: CallOptions = {}) {
  const headers = new Headers(options.headers);
  if (options.key) headers.set("authorization", `Bearer ${options.key}`);
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const method = options.method ?? (body !== undefined ? "POST" : "GET");
  const request = new Request(BASE + path, { method, headers, body });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...options.env } as Cloudflare.Env, ctx);
  return { response, settled: () => waitOnExecutionContext(ctx) };
}

/** A fetch that goes to the worker, for the official SDK; it waits for waitUntil work on each call. */
export function workerFetch(envOverride?: Partial<Cloudflare.Env>): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, { ...env, ...envOverride } as Cloudflare.Env, ctx);
    if (!(response.headers.get("content-type") ?? "").includes("event-stream")) {
      const body = await response.arrayBuffer();
      await waitOnExecutionContext(ctx);
      return new Response(body, { status: response.status, headers: response.headers });
    }
    // A stream: the SDK reads it; its store finishes once the stream has ended.
    pendingStores.push(waitOnExecutionContext(ctx));
    return response;
  }) as typeof fetch;
}

const pendingStores: Promise<void>[] = [];
/** Waits for the stores of streams that went through `workerFetch`. */
export async function drainPendingStores(): Promise<void> {
  await Promise.all(pendingStores.splice(0));
}

export async function json<T = any>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

let teamCounter = 0;

/** Creates a team and a key through the admin API. */
export async function createTeamWithKey(
  keyOptions: { name?: string; expires_at?: number | null; allowed_models?: string[] | null } = {},
): Promise<{ teamId: string; key: string; keyId: string }> {
  const team = await json(await call("/admin/teams", { key: ADMIN_TOKEN, body: { name: `team-${++teamCounter}` } }));
  const created = await json(await call(`/admin/teams/${team.id}/keys`, { key: ADMIN_TOKEN, body: keyOptions }));
  if (!created.key) throw new Error(`key creation failed: ${JSON.stringify(created)}`);
  return { teamId: team.id, key: created.key, keyId: created.id };
}
