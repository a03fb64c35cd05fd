// Every call to the gateway: same-origin fetches that carry the session cookie (HttpOnly: this script
// never sees it). The browser adds Sec-Fetch-Site: same-origin, which every change requires.

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => {};
export const whenSignedOut = (handler: () => void) => (onSignedOut = handler);

export async function api<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    credentials: "same-origin",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = await response.json().catch(() => null);
  if (response.status === 401 && !path.endsWith("/console/session")) onSignedOut();
  if (!response.ok) throw new ApiFailure(response.status, body?.error?.message ?? `${response.status} ${response.statusText}`);
  return body as T;
}

export interface Session {
  kind: "admin" | "team";
  team: { id: string; name: string } | null;
  can_manage_keys: boolean;
}

export interface Team {
  id: string;
  name: string;
  created_at: number;
  max_budget_usd: number | null;
  budget_period: "daily" | "monthly" | "total";
  rpm_limit: number | null;
  tpm_limit: number | null;
  spend_usd: number;
}

export interface Key extends Omit<Team, "name"> {
  name: string | null;
  prefix: string;
  team_id: string;
  /** Set once the key is revoked: it no longer works, and stays listed until it is deleted. */
  revoked_at: number | null;
  key?: string;
}

export interface UsageSeries {
  width: number;
  buckets: number[];
  series: { name: string; requests: number[]; input_tokens: number[]; output_tokens: number[]; cost_usd: number[] }[];
}
