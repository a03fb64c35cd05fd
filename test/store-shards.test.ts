import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearPendingResponses } from "../src/responses/pending";
import { clearPlaces } from "../src/store/shards";
import { ADMIN_TOKEN, call, json } from "./helpers/gateway";
import { captureQueue, deliver } from "./helpers/usage";
import { completionFixture, jsonResponse, mockUpstream } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";
import { r2Keys, tidOf } from "./helpers/store";

// Teams over D1 shards: DB (control and shard 0) and DB_SHARD_1.

afterEach(restoreSpies);

/** A D1 that reports `bytes` as its size, as a full shard would. */
function reportingSize(d1: D1Database, bytes: number): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare")
        return (sql: string) => {
          const statement = target.prepare(sql);
          if (sql !== "select 1") return statement;
          return { run: async () => ({ ...(await statement.run()), meta: { ...(await statement.run()).meta, size_after: bytes } }) };
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A D1 on which any statement fails: a shard that must never be read. */
function forbidden(d1: D1Database, name: string): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare" || prop === "batch" || prop === "exec") return () => { throw new Error(`${name} was queried`); };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function teamOnShard(full: "DB" | "DB_SHARD_1") {
  // The other shard reports 5 GB: the new team goes to the least loaded.
  const sizes = full === "DB" ? { DB: reportingSize(env.DB, 5e9) } : { DB_SHARD_1: reportingSize(env.DB_SHARD_1 as D1Database, 5e9) };
  const team = await json(await call("/admin/teams", { key: ADMIN_TOKEN, body: { name: "sharded" }, env: sizes }));
  const created = await json(await call(`/admin/teams/${team.id}/keys`, { key: ADMIN_TOKEN, body: {} }));
  return { teamId: team.id as string, key: created.key as string, shard: team.shard as number };
}

describe("teams over D1 shards", () => {
  it("puts a new team on the least loaded shard, and GET /admin/teams/{id} shows it", async () => {
    const one = await teamOnShard("DB");
    const zero = await teamOnShard("DB_SHARD_1");
    expect([one.shard, zero.shard]).toEqual([1, 0]);
    expect((await json(await call(`/admin/teams/${one.teamId}`, { key: ADMIN_TOKEN }))).shard).toBe(1);
    expect((await json(await call(`/admin/teams/${zero.teamId}`, { key: ADMIN_TOKEN }))).shard).toBe(0);
  });

  it("stores, lists, gets, updates, pages messages of and deletes a shard-1 team's completions without reading shard 0's store, and its usage lands in shard 1", async () => {
    const { key, teamId } = await teamOnShard("DB");
    const captured = captureQueue();
    const { spy } = mockUpstream(() => jsonResponse(completionFixture()));
    const res = await call("/v1/chat/completions", { key, env: captured.env, body: { model: "m", messages: [{ role: "user", content: "hello" }], store: true, metadata: { a: "1" } } });
    const { id } = await json(res);
    spy.mockRestore();
    await deliver(captured.messages);
    const one = env.DB_SHARD_1 as D1Database;
    expect(await one.prepare("select count(*) as n from completion_index").first("n")).toBe(1);
    expect(await env.DB.prepare("select count(*) as n from completion_index where tid = (select store_id from team_store where team_id = ?)").bind(teamId).first("n")).toBe(0);
    expect(await one.prepare("select count(*) as n from usage_events where team_id = ?").bind(teamId).first("n")).toBe(1);
    expect(await env.DB.prepare("select count(*) as n from usage_events where team_id = ?").bind(teamId).first("n")).toBe(0);

    // Shard 0 answers only the key lookup (control); any store query there fails the request.
    const control = env.DB;
    const onlyControl = new Proxy(control, {
      get(target, prop) {
        if (prop === "prepare")
          return (sql: string) => {
            if (/completion_|usage_|write_spool|payload_parts/.test(sql)) throw new Error(`shard 0 was queried: ${sql}`);
            return target.prepare(sql);
          };
        if (prop === "batch") return () => { throw new Error("shard 0 was written"); };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    clearPlaces();
    const on = { DB: onlyControl };
    expect((await call(`/v1/chat/completions/${id}`, { key, env: on })).status).toBe(200);
    expect((await json(await call("/v1/chat/completions?metadata[a]=1", { key, env: on }))).data.map((c: any) => c.id)).toEqual([id]);
    expect((await json(await call(`/v1/chat/completions/${id}/messages`, { key, env: on }))).data[0].content).toBe("hello");
    expect((await call(`/v1/chat/completions/${id}`, { key, body: { metadata: { a: "2" } }, env: on })).status).toBe(200);
    expect((await call(`/v1/chat/completions/${id}`, { key, method: "DELETE", env: on })).status).toBe(200);
    expect(await one.prepare("select count(*) as n from completion_index").first("n")).toBe(0);
  });

  it("keeps a shard-1 team's responses and conversations in shard 1, and its response bodies under its R2 prefix", async () => {
    const { key, teamId } = await teamOnShard("DB");
    const captured = captureQueue();
    const { spy } = mockUpstream(() => jsonResponse(completionFixture()));
    const first = await json(await call("/v1/responses", { key, env: captured.env, body: { model: "m", input: "hello" } }));
    const conversation = await json(await call("/v1/conversations", { key, env: captured.env, body: { items: [{ role: "user", content: "hi" }] } }));
    const one = env.DB_SHARD_1 as D1Database;
    const count = (d1: D1Database, table: string) => d1.prepare(`select count(*) as n from ${table} where team_id = ?`).bind(teamId).first<number>("n");
    for (const table of ["responses", "conversations", "conversation_items"]) {
      expect([table, await count(one, table), await count(env.DB, table)]).toEqual([table, 1, 0]);
    }
    // The response's body in a day prefix, the conversation item's under conv/: both under the team's prefix.
    expect(await r2Keys(`t/${await tidOf(teamId)}/`)).toEqual([expect.stringMatching(new RegExp(`/r/${first.id}$`)), expect.stringMatching(new RegExp(`/conv/${conversation.id}/`))]);

    // Shard 0 answers only the key lookup (control); any query of the Responses tables there fails the request.
    const onlyControl = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare")
          return (sql: string) => {
            if (/response|conversation/.test(sql)) throw new Error(`shard 0 was queried: ${sql}`);
            return target.prepare(sql);
          };
        if (prop === "batch") return () => { throw new Error("shard 0 was written"); };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    clearPlaces();
    clearPendingResponses();
    const on = { ...captured.env, DB: onlyControl };
    const second = await call("/v1/responses", { key, env: on, body: { model: "m", input: "again", previous_response_id: first.id } });
    expect(second.status).toBe(200);
    expect((await call(`/v1/responses/${first.id}`, { key, env: on })).status).toBe(200);
    expect((await json(await call(`/v1/responses/${(await json(second)).id}/input_items?order=asc`, { key, env: on }))).data).toHaveLength(3);
    expect((await json(await call(`/v1/conversations/${conversation.id}/items`, { key, env: on }))).data).toHaveLength(1);
    expect((await call(`/v1/conversations/${conversation.id}/items`, { key, env: on, body: { items: [{ role: "user", content: "more" }] } })).status).toBe(200);
    expect((await call(`/v1/responses/${first.id}`, { key, method: "DELETE", env: on })).status).toBe(200);
    expect((await call(`/v1/conversations/${conversation.id}`, { key, method: "DELETE", env: on })).status).toBe(200);
    spy.mockRestore();
    expect(await count(one, "responses")).toBe(1);
    expect(await count(one, "response_tombstones")).toBe(1);
    expect(await count(one, "conversation_items")).toBe(0);
  });

  it("never reads a shard-0 team from shard 1", async () => {
    const { key } = await teamOnShard("DB_SHARD_1");
    const { spy } = mockUpstream(() => jsonResponse(completionFixture()));
    const { id } = await json(await call("/v1/chat/completions", { key, body: { model: "m", messages: [{ role: "user", content: "x" }], store: true } }));
    spy.mockRestore();
    clearPlaces();
    const on = { DB_SHARD_1: forbidden(env.DB_SHARD_1 as D1Database, "shard 1") };
    expect((await call(`/v1/chat/completions/${id}`, { key, env: on })).status).toBe(200);
    expect((await json(await call("/v1/chat/completions", { key, env: on }))).data).toHaveLength(1);
  });

  it("the admin usage API reads every shard and merges the buckets", async () => {
    const a = await teamOnShard("DB");
    const b = await teamOnShard("DB_SHARD_1");
    const captured = captureQueue();
    for (const who of [a, b, b]) {
      const { spy } = mockUpstream(() => jsonResponse(completionFixture()));
      await call("/v1/chat/completions", { key: who.key, env: captured.env, body: { model: "m", messages: [{ role: "user", content: "x" }] } });
      spy.mockRestore();
    }
    await deliver(captured.messages);
    const start = Math.floor(Date.now() / 86_400_000) * 86_400;
    const all = await json(await call(`/v1/organization/usage/completions?start_time=${start}&bucket_width=1d&limit=1`, { key: ADMIN_TOKEN }));
    const mine = (project: string) => call(`/v1/organization/usage/completions?start_time=${start}&bucket_width=1d&limit=1&project_ids=${project}`, { key: ADMIN_TOKEN }).then(json);
    const perTeam = [(await mine(a.teamId)).data[0].results[0].num_model_requests, (await mine(b.teamId)).data[0].results[0].num_model_requests];
    expect(perTeam).toEqual([1, 2]);
    expect(all.data[0].results[0].num_model_requests).toBeGreaterThanOrEqual(3);
    const grouped = await json(await call(`/v1/organization/usage/completions?start_time=${start}&bucket_width=1d&limit=1&group_by=project_id&project_ids=${a.teamId}&project_ids=${b.teamId}`, { key: ADMIN_TOKEN }));
    const byProject = Object.fromEntries(grouped.data[0].results.map((r: any) => [r.project_id, r.num_model_requests]));
    expect(byProject).toEqual({ [a.teamId]: 1, [b.teamId]: 2 });
  });
});
