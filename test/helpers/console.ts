import { call, type CallOptions, json } from "./gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./upstream";

// Console helpers: sign in, call with the session cookie (and the same-origin marker a browser adds),
// and store completions through the real chat route.

export interface ConsoleSignIn {
  status: number;
  setCookie: string | null;
  /** `name=value` of the session cookie, ready for a Cookie header. */
  cookie: string | null;
  body: any;
}

export async function signIn(token: string, headers: Record<string, string> = { "sec-fetch-site": "same-origin" }): Promise<ConsoleSignIn> {
  const response = await call("/console/session", { body: { token }, headers });
  const setCookie = response.headers.get("set-cookie");
  return { status: response.status, setCookie, cookie: setCookie ? setCookie.split(";")[0] : null, body: await json(response) };
}

export function consoleCall(path: string, cookie: string | null, options: CallOptions = {}): Promise<Response> {
  return call(path, { ...options, headers: { ...(cookie ? { cookie } : {}), "sec-fetch-site": "same-origin", ...options.headers } });
}

export interface StoredSpec {
  model?: string;
  metadata?: Record<string, string>;
  messages?: unknown[];
  answer?: Record<string, unknown>;
  tools?: unknown[];
  usage?: Record<string, number>;
}

/** Stores completions through POST /v1/chat/completions (store: true) with a mocked upstream; returns their ids. */
export async function storeCompletions(key: string, specs: StoredSpec[]): Promise<string[]> {
  const ids: string[] = [];
  for (const spec of specs) {
    const model = spec.model ?? "gpt-4o-mini";
    const { spy } = mockUpstream(() =>
      jsonResponse(
        completionFixture({
          model,
          created: Math.floor(Date.now() / 1000),
          ...(spec.usage && { usage: spec.usage }),
          choices: [{ index: 0, message: spec.answer ?? { role: "assistant", content: "the answer", refusal: null }, finish_reason: "stop", logprobs: null }],
        }),
      ),
    );
    try {
      const response = await call("/v1/chat/completions", {
        key,
        body: { model, messages: spec.messages ?? [{ role: "user", content: "a question" }], store: true, metadata: spec.metadata, ...(spec.tools && { tools: spec.tools }) },
      });
      if (response.status !== 200) throw new Error(`store failed: ${response.status} ${await response.text()}`);
      ids.push((await json(response)).id);
    } finally {
      spy.mockRestore();
    }
  }
  return ids;
}
