import { applyD1Migrations, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearKeyCache } from "../src/auth/key-cache";
import { ADMIN_TOKEN, call, createTeamWithKey, json } from "./helpers/gateway";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

afterEach(() => {
  restoreSpies();
  vi.useRealTimers();
});

const admin = { key: ADMIN_TOKEN };
const chat = (key: string, model = "gpt-4o-mini") => call("/v1/chat/completions", { key, body: { model, messages: [{ role: "user", content: "hi" }] } });

/** What a team or key without budgets or limits shows. */
const NO_LIMITS = { max_budget_usd: null, budget_period: "monthly", rpm_limit: null, tpm_limit: null, spend_usd: 0 };

describe("admin API", () => {
  it("creates, lists and gets teams", async () => {
    const res = await call("/admin/teams", { ...admin, body: { name: "Research" } });
    expect(res.status).toBe(201);
    const team = await json(res);
    expect(team).toEqual({ id: expect.stringMatching(/^team_/), object: "team", name: "Research", created_at: expect.any(Number), shard: 0, ...NO_LIMITS });
    expect(await json(await call(`/admin/teams/${team.id}`, admin))).toEqual(team);
    const list = await json(await call("/admin/teams", admin));
    expect(list.object).toBe("list");
    expect(list.data).toContainEqual(team);
    expect((await call("/admin/teams/team_missing", admin)).status).toBe(404);
    expect((await json(await call("/admin/teams", { ...admin, body: { name: "" } }))).error.param).toBe("name");
  });

  it("creates a key shown once, lists keys without plaintext or hash, and deletes it", async () => {
    const team = await json(await call("/admin/teams", { ...admin, body: { name: "Keys" } }));
    const res = await call(`/admin/teams/${team.id}/keys`, { ...admin, body: { name: "ci", expires_at: 4_102_444_800, allowed_models: ["gpt-4o-mini"] } });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toEqual({
      id: expect.stringMatching(/^key_/),
      object: "api_key",
      key: expect.stringMatching(/^sk-gw-[A-Za-z0-9_-]{43}$/),
      prefix: created.key.slice(0, 10) + "…",
      team_id: team.id,
      name: "ci",
      created_at: expect.any(Number),
      expires_at: 4_102_444_800,
      allowed_models: ["gpt-4o-mini"],
      revoked_at: null,
      ...NO_LIMITS,
    });
    const listText = await (await call(`/admin/teams/${team.id}/keys`, admin)).text();
    expect(listText).not.toContain(created.key);
    expect(listText).not.toContain("hash");
    const { key: _plaintext, ...shown } = created;
    expect(JSON.parse(listText)).toEqual({ object: "list", data: [shown] });

    const deleted = await call(`/admin/keys/${created.id}`, { ...admin, method: "DELETE" });
    expect(await json(deleted)).toEqual({ id: created.id, object: "api_key.deleted", deleted: true });
    expect((await json(await call(`/admin/teams/${team.id}/keys`, admin))).data).toEqual([]);
    expect((await call(`/admin/keys/${created.id}`, { ...admin, method: "DELETE" })).status).toBe(404);
  });

  it("revokes a key: it stays listed with revoked_at and can no longer be changed; deleting it then takes it off the list", async () => {
    const { teamId, keyId } = await createTeamWithKey();
    const other = await json(await call(`/admin/teams/${teamId}/keys`, { ...admin, body: { name: "other" } }));
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_900_000_000_000);
    const res = await call(`/admin/keys/${keyId}/revoke`, { ...admin, method: "POST" });
    expect(res.status).toBe(200);
    const revoked = await json(res);
    expect(revoked).toMatchObject({ id: keyId, object: "api_key", team_id: teamId, revoked_at: 1_900_000_000 });
    // Revoking again keeps the first time.
    vi.setSystemTime(1_900_000_100_000);
    expect(await json(await call(`/admin/keys/${keyId}/revoke`, { ...admin, method: "POST" }))).toEqual(revoked);
    const listed = (await json(await call(`/admin/teams/${teamId}/keys`, admin))).data;
    expect(Object.fromEntries(listed.map((k: { id: string; revoked_at: number | null }) => [k.id, k.revoked_at]))).toEqual({ [keyId]: 1_900_000_000, [other.id]: null });
    // Only a live key's name and limits change.
    const patch = await call(`/admin/keys/${keyId}`, { ...admin, method: "PATCH", body: { name: "renamed" } });
    expect(patch.status).toBe(404);
    expect((await json(patch)).error).toMatchObject({ type: "invalid_request_error", code: "not_found" });

    expect((await call(`/admin/keys/${keyId}`, { ...admin, method: "DELETE" })).status).toBe(200);
    expect((await json(await call(`/admin/teams/${teamId}/keys`, admin))).data.map((k: { id: string }) => k.id)).toEqual([other.id]);
    // A deleted key is gone for every key route.
    for (const [method, path] of [["POST", `/admin/keys/${keyId}/revoke`], ["DELETE", `/admin/keys/${keyId}`], ["PATCH", `/admin/keys/${keyId}`]]) {
      const gone = await call(path, { ...admin, method, body: method === "PATCH" ? { name: "x" } : undefined });
      expect(gone.status, `${method} ${path}`).toBe(404);
      expect((await json(gone)).error.message).toBe(`No API key found with id '${keyId}'.`);
    }
    // The row stays (usage still names the key): revoked when it was revoked, deleted now.
    const row = await env.DB.prepare("select revoked_at, deleted_at from api_keys where id = ?").bind(keyId).first();
    expect(row).toEqual({ revoked_at: 1_900_000_000, deleted_at: 1_900_000_100 });
  });

  it("answers 404 in OpenAI's shape for revoking or deleting a key that does not exist", async () => {
    for (const method of ["POST", "DELETE"]) {
      const res = await call(method === "POST" ? "/admin/keys/key_missing/revoke" : "/admin/keys/key_missing", { ...admin, method });
      expect(res.status).toBe(404);
      expect((await json(res)).error).toMatchObject({ message: "No API key found with id 'key_missing'.", type: "invalid_request_error", param: null });
    }
    expect((await call("/admin/keys/key_missing/revoke", { key: "wrong", method: "POST" })).status).toBe(401);
  });

  it("makes keys with 32 random bytes, unique, stored only as SHA-256 hashes", async () => {
    const a = await createTeamWithKey();
    const b = await createTeamWithKey();
    expect(a.key).not.toBe(b.key);
    const rows = await env.DB.prepare("select * from api_keys").all();
    const dump = JSON.stringify(rows.results);
    expect(dump).not.toContain(a.key);
    expect(dump).not.toContain(a.key.slice(6));
    const row = rows.results.find((r: any) => r.id === a.keyId) as any;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(a.key));
    expect(row.key_hash).toBe([...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, "0")).join(""));
  });

  it("rejects a wrong or missing admin token with 401 in OpenAI's shape", async () => {
    for (const key of [undefined, "wrong-token", `${ADMIN_TOKEN}x`]) {
      const res = await call("/admin/teams", { key });
      expect(res.status).toBe(401);
      expect((await json(res)).error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    }
  });

  it("answers 401 to everyone when no ADMIN_TOKEN is configured", async () => {
    for (const key of [undefined, "", "undefined", ADMIN_TOKEN]) {
      const res = await call("/admin/teams", { key, env: { ADMIN_TOKEN: undefined } });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe("invalid_api_key");
    }
    const empty = await call("/admin/teams", { key: "x", env: { ADMIN_TOKEN: "" } });
    expect(empty.status).toBe(401);
  });

  it("does not accept a team key on the admin API, nor the admin token on /v1", async () => {
    const { key } = await createTeamWithKey();
    expect((await call("/admin/teams", { key })).status).toBe(401);
    expect((await call("/v1/chat/completions", { key: ADMIN_TOKEN })).status).toBe(401);
  });
});

describe("team keys on /v1", () => {
  it("rejects missing, malformed and unknown keys with 401 invalid_api_key, without echoing the key", async () => {
    const unknown = "sk-gw-thisKeyDoesNotExistAnywhere0123456789abcdefgh";
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer" }, { authorization: "Basic abc" }, { authorization: `Bearer ${unknown}` }];
    for (const headers of attempts) {
      const res = await call("/v1/chat/completions", { headers });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(JSON.parse(text).error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key", param: null });
      expect(text).not.toContain(unknown);
    }
  });

  it("stops a revoked or deleted key at once in the isolate that revoked or deleted it", async () => {
    mockUpstream(() => jsonResponse(completionFixture()));
    for (const end of [(id: string) => call(`/admin/keys/${id}/revoke`, { ...admin, method: "POST" }), (id: string) => call(`/admin/keys/${id}`, { ...admin, method: "DELETE" })]) {
      const { key, keyId } = await createTeamWithKey();
      expect((await chat(key)).status).toBe(200);
      expect((await end(keyId)).status).toBe(200);
      expect((await chat(key)).status).toBe(401);
    }
  });

  it("bounds how long another isolate's cache still trusts a revoked key", async () => {
    const { key, keyId } = await createTeamWithKey();
    mockUpstream(() => jsonResponse(completionFixture()));
    vi.useFakeTimers({ toFake: ["Date"] });
    expect((await chat(key)).status).toBe(200);
    // Revoke behind the cache's back, as another isolate would.
    await env.DB.prepare("update api_keys set revoked_at = 1 where id = ?").bind(keyId).run();
    expect((await chat(key)).status).toBe(200);
    vi.setSystemTime(Date.now() + 30_001);
    expect((await chat(key)).status).toBe(401);
  });

  it("rejects an expired key", async () => {
    clearKeyCache();
    const past = Math.floor(Date.now() / 1000) - 10;
    const { key } = await createTeamWithKey({ expires_at: past });
    expect((await chat(key)).status).toBe(401);
  });

  it("stops a key when it expires, even while it is cached", async () => {
    const soon = Math.floor(Date.now() / 1000) + 5;
    const { key } = await createTeamWithKey({ expires_at: soon });
    mockUpstream(() => jsonResponse(completionFixture()));
    vi.useFakeTimers({ toFake: ["Date"] });
    expect((await chat(key)).status).toBe(200);
    vi.setSystemTime(soon * 1000 + 1);
    expect((await chat(key)).status).toBe(401);
  });

  it("answers 403 in OpenAI's shape for a model outside the key's allow-list, without calling the upstream", async () => {
    const { key } = await createTeamWithKey({ allowed_models: ["gpt-4o-mini", "llama3"] });
    const upstream = mockUpstream(() => jsonResponse(completionFixture()));
    expect((await chat(key, "llama3")).status).toBe(200);
    const res = await chat(key, "gpt-4o");
    expect(res.status).toBe(403);
    expect((await json(res)).error).toMatchObject({ type: "permission_error", param: "model", code: "model_not_allowed" });
    expect(upstream.calls).toHaveLength(1);
  });
});

describe("key lookups", () => {
  it("refuses a token that cannot be a gateway key without touching D1", async () => {
    const noDb = { prepare: () => { throw new Error("D1 must not be asked"); } } as unknown as D1Database;
    for (const token of ["sk-proj-abc", "sk-gw-short", `sk-gw-${"a".repeat(44)}`, "x".repeat(5000)]) {
      const res = await call("/v1/chat/completions", { key: token, env: { DB: noDb } });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe("invalid_api_key");
    }
  });

  it("asks D1 once for an unknown well-formed key, then answers from the cache", async () => {
    clearKeyCache();
    let reads = 0;
    const counting = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") return (sql: string) => (reads++, target.prepare(sql));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const unknown = `sk-gw-${"Q".repeat(43)}`;
    for (let i = 0; i < 5; i++) expect((await call("/v1/chat/completions", { key: unknown, env: { DB: counting } })).status).toBe(401);
    expect(reads).toBe(1);
  });
});

describe("the key deletion migration", () => {
  it("keeps every key ended before it off the lists: until then, ending a key deleted it", async () => {
    const db = env.MIGRATION_DB;
    await applyD1Migrations(db, env.TEST_MIGRATIONS.filter((m) => m.name < "0011"));
    await db.batch([
      db.prepare("INSERT INTO teams (id, name, created_at) VALUES ('t1', 'one', 0)"),
      db.prepare("INSERT INTO api_keys (id, team_id, key_hash, prefix, created_at, revoked_at) VALUES ('live', 't1', 'h1', 'p', 0, NULL), ('ended', 't1', 'h2', 'p', 0, 42)"),
    ]);
    await applyD1Migrations(db, env.TEST_MIGRATIONS.filter((m) => m.name.startsWith("0011")));
    expect((await db.prepare("SELECT id, revoked_at, deleted_at FROM api_keys ORDER BY id").all()).results).toEqual([
      { id: "ended", revoked_at: 42, deleted_at: 42 },
      { id: "live", revoked_at: null, deleted_at: null },
    ]);
  });
});
