import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { ADMIN_TOKEN, BASE, call, createTeamWithKey, json } from "./helpers/gateway";
import { specErrors } from "./helpers/spec";
import { completionFixture, jsonResponse, mockUpstream, sseResponse, textStreamChunks } from "./helpers/upstream";
import { restoreSpies } from "./helpers/spies";

// Property tests: random JSON bodies, query strings, paths, methods and credentials on every route.
// For every answer: no 5xx, errors in OpenAI's exact shape, security headers, and none of team B's
// data while the caller is team A (or nobody). Team B's content and metadata carry MARKER, and
// nothing the fuzzer sends ever contains it, so any MARKER in an answer is a leak, not an echo.

const MARKER = "QX7teamBprivate9f3e";
const RUNS = 150;

interface Team {
  teamId: string;
  key: string;
  keyId: string;
}
let teamA: Team;
let teamB: Team;
// The ids the gateway minted for each team's seeded completions (filled in beforeAll, and again
// when a property has deleted one of team A's). The arbitraries read them when they generate.
const B_IDS: string[] = [];
const A_IDS: string[] = [];
const idOf = (ids: string[]) => fc.integer({ min: 0, max: 2 }).map((i) => ids[i]);
const bMetadata = { owner: "team-b-private", topic: "shared-topic", [`k_${MARKER}`]: `v_${MARKER}` };

let upstreamCalls = 0;
let upstream: ReturnType<typeof mockUpstream>;
/** The upstream: a valid completion (or stream) for any request; now and then an id it gave before. */
function installUpstream() {
  return mockUpstream(({ body }) => {
    upstreamCalls++;
    const id = upstreamCalls % 7 === 0 ? "chatcmpl-fuzz-repeated" : `chatcmpl-fuzz-${upstreamCalls}-${Date.now()}`;
    const model = typeof body?.model === "string" ? body.model : "gpt-4o-mini";
    if (body?.stream === true) return sseResponse(textStreamChunks(id, ["fuzz ", "answer"]).map((c) => ({ ...c, model })));
    return jsonResponse(completionFixture({ id, model, choices: [{ index: 0, message: { role: "assistant", content: "fuzz answer", refusal: null }, logprobs: null, finish_reason: "stop" }] }));
  });
}

/**
 * Stores a completion as an hour ago, so that its id is not fresh: a miss on a fresh id waits for
 * its write to land (read-after-write), which would make every cross-team probe of the fuzzer wait.
 * Returns the id the gateway minted.
 */
async function storeAs(team: Team, id: string, request: Record<string, unknown>, answer: string, streamed = false): Promise<string> {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() - 3_600_000 });
  const { spy } = mockUpstream(() =>
    streamed
      ? sseResponse(textStreamChunks(id, [answer.slice(0, 5), answer.slice(5)]))
      : jsonResponse(completionFixture({ id, choices: [{ index: 0, message: { role: "assistant", content: answer, refusal: null }, logprobs: null, finish_reason: "stop" }] })),
  );
  const res = await call("/v1/chat/completions", { key: team.key, body: { model: "gpt-4o-mini", store: true, stream: streamed, ...request } });
  const text = await res.text();
  vi.useRealTimers();
  spy.mockRestore();
  expect(res.status).toBe(200);
  return /"id":"(chatcmpl-[0-9a-z]{26})"/.exec(text)![1];
}

beforeAll(async () => {
  teamA = await createTeamWithKey({ name: "fuzz-a" });
  teamB = await createTeamWithKey({ name: "fuzz-b" });
  const bMessages = [
    { role: "system", content: `system ${MARKER}` },
    { role: "user", name: "bob", content: [{ type: "text", text: `hello ${MARKER}` }, { type: "image_url", image_url: { url: `https://example.com/${MARKER}.png` } }] },
    { role: "assistant", content: null, tool_calls: [{ id: "call_b", type: "function", function: { name: "lookup", arguments: `{"q":"${MARKER}"}` } }] },
    { role: "tool", tool_call_id: "call_b", content: `tool says ${MARKER}` },
  ];
  B_IDS[0] = await storeAs(teamB, "chatcmpl-teamb-0", { messages: bMessages, metadata: bMetadata, user: MARKER, temperature: 0.3 }, `answer ${MARKER}`);
  B_IDS[1] = await storeAs(teamB, "chatcmpl-teamb-1", { messages: bMessages, metadata: bMetadata }, `streamed ${MARKER}`, true);
  B_IDS[2] = await storeAs(teamB, "chatcmpl-teamb-2", { messages: [{ role: "user", content: MARKER }], metadata: { owner: "team-b-private" } }, `third ${MARKER}`);
  for (const i of [0, 1, 2]) await storeTeamA(i);
});

async function storeTeamA(i: number) {
  const messages = [{ role: "user", content: `a${i}` }, { role: "assistant", content: "ok" }, { role: "user", content: [{ type: "text", text: "more" }] }];
  A_IDS[i] = await storeAs(teamA, `chatcmpl-teama-${i}`, { messages, metadata: { topic: "shared-topic", n: String(i) } }, `team a ${i}`, i === 1);
}

beforeEach(async () => {
  // An earlier property may have deleted team A's completions; each property starts with them.
  for (const [i, id] of A_IDS.entries()) {
    if ((await call(`/v1/chat/completions/${id}`, { key: teamA.key })).status === 404) await storeTeamA(i);
  }
  upstream = installUpstream();
  resetTally();
});
afterEach(restoreSpies);

// ---------------------------------------------------------------------------------------------
// Sending and checking

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

async function send({ method, path, headers = {}, body }: Sent): Promise<Response> {
  const hasBody = body !== undefined && method !== "GET" && method !== "HEAD";
  const request = new Request(BASE + path, { method, headers, body: hasBody ? body : undefined });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  const bytes = await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(method === "HEAD" ? null : bytes, { status: response.status, headers: response.headers });
}

const SUCCESS_SCHEMAS: [RegExp, string, "CreateChatCompletionResponse" | "ChatCompletionList" | "ChatCompletionDeleted"][] = [
  [/^\/v1\/chat\/completions\/?(\?|$)/, "GET", "ChatCompletionList"],
  [/^\/v1\/chat\/completions\/[^/?]+\/?(\?|$)/, "GET", "CreateChatCompletionResponse"],
  [/^\/v1\/chat\/completions\/[^/?]+\/?(\?|$)/, "POST", "CreateChatCompletionResponse"],
  [/^\/v1\/chat\/completions\/[^/?]+\/?(\?|$)/, "DELETE", "ChatCompletionDeleted"],
];

/** The properties every answer must have. Returns the parsed body (undefined for HEAD or a stream). */
async function expectSound(sent: Sent, response: Response): Promise<unknown> {
  const text = await response.text();
  const where = `${sent.method} ${sent.path} ${JSON.stringify(sent.headers ?? {})} ${sent.body?.slice(0, 300) ?? ""}\n-> ${response.status} ${text.slice(0, 500)}`;
  expect(response.status, where).toBeLessThan(500);
  expect(response.headers.get("x-content-type-options"), where).toBe("nosniff");
  // No other team's data, and never team B's key.
  expect(text.includes(MARKER), where).toBe(false);
  expect(text.includes(teamB.key), where).toBe(false);
  if (sent.method === "HEAD" || (response.status >= 300 && response.status < 400)) return undefined;
  const type = response.headers.get("content-type") ?? "";
  if (response.status >= 400) {
    expect(type, where).toMatch(/^application\/json/);
    const body = JSON.parse(text);
    expect(Object.keys(body), where).toEqual(["error"]);
    expect(Object.keys(body.error).sort(), where).toEqual(["code", "message", "param", "type"]);
    expect(typeof body.error.message, where).toBe("string");
    expect(typeof body.error.type, where).toBe("string");
    expect(body.error.param === null || typeof body.error.param === "string", where).toBe(true);
    expect(body.error.code === null || typeof body.error.code === "string", where).toBe(true);
    expect(specErrors("ErrorResponse", body), where).toEqual([]);
    // No stack traces or internals.
    expect(text, where).not.toMatch(/\bat .+:\d+:\d+|D1_ERROR|SQLITE_|drizzle/i);
    return body;
  }
  if (type.includes("text/event-stream")) {
    expect(text.trimEnd().endsWith("data: [DONE]"), where).toBe(true);
    return undefined;
  }
  if (!sent.path.startsWith("/v1/") && !sent.path.startsWith("/admin/")) return undefined; // docs, openapi.json
  expect(type, where).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  const match = SUCCESS_SCHEMAS.find(([re, method]) => method === sent.method && re.test(sent.path) && !sent.path.includes("/messages"));
  if (match && response.status === 200) expect(specErrors(match[2], body), where).toEqual([]);
  return body;
}

/** Statuses seen by the current property, to show that the fuzzer reaches past validation. */
let tally = new Map<number, number>();
function resetTally() {
  tally = new Map();
}
function seen(predicate: (status: number) => boolean): number {
  return [...tally].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0);
}

/** The property got past validation at least `successes` times, and was refused at least `refusals` times. */
function expectReach(successes: number, refusals: number) {
  const summary = JSON.stringify([...tally].sort());
  expect(seen((status) => status >= 200 && status < 300), summary).toBeGreaterThanOrEqual(successes);
  expect(seen((status) => status >= 400), summary).toBeGreaterThanOrEqual(refusals);
}

async function roundTrip(sent: Sent): Promise<{ status: number; body: any }> {
  const response = await send(sent);
  tally.set(response.status, (tally.get(response.status) ?? 0) + 1);
  return { status: response.status, body: await expectSound(sent, response) };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const LONE_SURROGATES = ["\uD800", "\uDBFF", "\uDC00", "\uDFFF", "a\uD83D", "\uDE00b"];
/** Any code point, now and then a lone surrogate or a combining mark. */
const wildChar = fc.oneof(
  { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 6 },
  { arbitrary: fc.constantFrom(...LONE_SURROGATES), weight: 1 },
  { arbitrary: fc.constantFrom("\u0301", "\u0308\u0323", "\u200D", "👩‍👩‍👧", "🌦️", "\u0000", "\uFEFF", "\u202E"), weight: 1 },
);
const wildString = (maxLength = 30) => fc.string({ unit: wildChar, maxLength });
/** Strings the fuzzer builds: never team B's marker. */
const anyString = fc.oneof(fc.string(), wildString(), fc.string({ unit: "grapheme", maxLength: 20 }));

/** Percent-encodes a string's UTF-16 code units as UTF-8 would encode them, lone surrogates included (as invalid CESU bytes). */
function rawPercentEncode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    const bytes =
      unit < 0x80 ? [unit] : unit < 0x800 ? [0xc0 | (unit >> 6), 0x80 | (unit & 63)] : [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 63), 0x80 | (unit & 63)];
    out += bytes.map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
  }
  return out;
}

const oddIds = () => [
  "chatcmpl-missing",
  "x".repeat(600),
  "chatcmpl-" + "y".repeat(5000),
  "..%2F..",
  "..%2F..%2Fadmin%2Fteams",
  "%2E%2E%2F%2E%2E%2Fadmin",
  "..",
  "%00",
  `${B_IDS[0]}%00`,
  `${B_IDS[0]}%00x`,
  "%",
  "%ZZ",
  "%E0%A4%A",
  "%F0%9F%98%80",
  "%ED%A0%80",
  "%ED%B0%80%ED%A0%80",
  "%F0%9F%8C%A6%EF%B8%8F",
  "🌦️",
  "%20",
  `${B_IDS[0]}%20`,
  (B_IDS[0] ?? "").toUpperCase(),
  `${B_IDS[0]}%2F`,
  `${B_IDS[0]}%3Fx%3D1`,
  `${B_IDS[0]}-0`,
  "'%20OR%20'1'%3D'1",
  "%27%3B%20drop%20table%20completions%3B--",
  "*",
  "%2A",
  "%25",
  "%25%32%46",
  "null",
  "undefined",
  "__proto__",
  "constructor",
];
const ODD_ID_COUNT = oddIds().length;

/** A path segment for an id: known ids of both teams, odd ids, random encoded strings and raw bytes. */
const idSegment = fc.oneof(
  { arbitrary: idOf(B_IDS), weight: 3 },
  { arbitrary: idOf(A_IDS), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: ODD_ID_COUNT - 1 }).map((i) => oddIds()[i]), weight: 4 },
  { arbitrary: anyString.filter((s) => s.length > 0).map(rawPercentEncode), weight: 2 },
  { arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).map(encodeURIComponent), weight: 2 },
);

const queryValue = fc.oneof(
  fc.constantFrom("asc", "desc", "ASC", "", "0", "1", "2", "20", "100", "101", "-1", "1.5", "1e2", "0x10", "NaN", "Infinity", " 5", "5 "),
  idOf(B_IDS),
  idOf(A_IDS),
  fc.constantFrom("team-b-private", "shared-topic", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
  idOf(B_IDS).map((id) => `${id}-0`),
  idOf(A_IDS).map((id) => `${id}-1`),
  anyString,
);
const queryName = fc.oneof(
  fc.constantFrom("model", "after", "limit", "order", "metadata[owner]", "metadata[topic]", "metadata[n]", "metadata[]", "metadata", "metadata[a][b]", "metadata[owner"),
  anyString.map((s) => `metadata[${s}]`),
  anyString,
);
/** A query string: pairs percent-encoded in several ways (the SDK encodes the brackets), or raw garbage. */
const queryString = fc.oneof(
  { arbitrary: fc.constant(""), weight: 1 },
  {
    arbitrary: fc
      .array(fc.tuple(queryName, queryValue, fc.constantFrom("component", "brackets-raw", "raw-bytes")), { maxLength: 5 })
      .map(
        (pairs) =>
          "?" +
          pairs
            .map(([name, value, style]) =>
              style === "raw-bytes"
                ? `${rawPercentEncode(name)}=${rawPercentEncode(value)}`
                : style === "brackets-raw"
                  ? `${rawPercentEncode(name).replace(/%5B/g, "[").replace(/%5D/g, "]")}=${rawPercentEncode(value)}`
                  : `${encodeURIComponent(name.replace(/[\uD800-\uDFFF]/g, "?"))}=${encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, "?"))}`,
            )
            .join("&"),
      ),
    weight: 6,
  },
  { arbitrary: fc.constantFrom("?%", "?&&&", "?==", "?limit", "?limit=%", "?order=%ZZ", "?after=%ED%A0%80", "?metadata%5Bowner%5D=team-b-private", "?metadata[owner]=team-b-private&metadata[topic]=shared-topic", "?limit=1&limit=200", "?after=&limit="), weight: 2 },
);

const metadataArb = fc.oneof(
  fc.dictionary(anyString, anyString, { maxKeys: 18 }),
  fc.dictionary(fc.string({ maxLength: 70 }), fc.string({ maxLength: 520 }), { maxKeys: 4 }),
  fc.constantFrom(null, [], "x", 1, { a: 1 }, { a: null }, { owner: "team-b-private" }, { "": "" }),
);
const contentPart = fc.oneof(
  fc.record({ type: fc.constant("text"), text: anyString }),
  fc.record({ type: fc.constant("image_url"), image_url: fc.record({ url: fc.oneof(fc.webUrl(), anyString), detail: fc.constantFrom("auto", "low", "high") }, { requiredKeys: ["url"] }) }),
  fc.record({ type: anyString }),
  fc.jsonValue({ maxDepth: 2 }),
);
const messageArb = fc.oneof(
  { arbitrary: fc.record({ role: fc.constantFrom("system", "user", "developer", "assistant"), content: fc.oneof(anyString, fc.array(contentPart, { maxLength: 3 })) }), weight: 5 },
  { arbitrary: fc.record({ role: fc.constant("tool"), tool_call_id: anyString, content: anyString }), weight: 1 },
  { arbitrary: fc.record({ role: fc.constant("function"), name: anyString, content: anyString }), weight: 1 },
  {
    arbitrary: fc.record({
      role: fc.constant("assistant"),
      content: fc.constant(null),
      tool_calls: fc.array(fc.record({ id: anyString, type: fc.constant("function"), function: fc.record({ name: anyString, arguments: anyString }) }), { maxLength: 2 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ role: anyString, content: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);
const validMessage = fc.record({ role: fc.constantFrom("system", "user", "developer", "assistant"), content: anyString });
/** Metadata within the limits, with odd characters. */
const validMetadata = fc.dictionary(fc.string({ unit: wildChar, minLength: 1, maxLength: 20 }), wildString(40), { maxKeys: 5 });
/** A create body: valid ones with odd strings, the real fields with odd values, or any JSON at all. */
const createBody = fc.oneof(
  {
    arbitrary: fc.record(
      {
        model: fc.oneof(fc.constant("gpt-4o-mini"), anyString.filter((m) => m.length > 0)),
        messages: fc.array(fc.oneof({ arbitrary: validMessage, weight: 3 }, { arbitrary: messageArb, weight: 1 }), { minLength: 1, maxLength: 4 }),
        store: fc.boolean(),
        stream: fc.boolean(),
        metadata: validMetadata,
        user: anyString,
        x_unknown_field: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ["model", "messages", "store"] },
    ),
    weight: 6,
  },
  {
    arbitrary: fc.record(
      {
        model: fc.oneof(fc.constantFrom("gpt-4o-mini", ""), anyString, fc.jsonValue({ maxDepth: 1 })),
        messages: fc.oneof(
          { arbitrary: fc.array(validMessage, { minLength: 1, maxLength: 3 }), weight: 4 },
          { arbitrary: fc.array(messageArb, { minLength: 1, maxLength: 4 }), weight: 4 },
          { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
        ),
        store: fc.oneof({ arbitrary: fc.boolean(), weight: 5 }, { arbitrary: fc.constantFrom(null, "true", 1), weight: 1 }),
        stream: fc.oneof({ arbitrary: fc.boolean(), weight: 5 }, { arbitrary: fc.constantFrom(null, "yes", 0), weight: 1 }),
        stream_options: fc.oneof(fc.constant(null), fc.record({ include_usage: fc.boolean() }), fc.jsonValue({ maxDepth: 1 })),
        metadata: metadataArb,
        temperature: fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 1 })),
        tools: fc.jsonValue({ maxDepth: 3 }),
        user: anyString,
        n: fc.integer({ min: -1, max: 3 }),
        x_unknown_field: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
    weight: 8,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);
/** A body as sent: JSON text, or not JSON at all. */
const bodyText = (json: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: json.map((v) => JSON.stringify(v)), weight: 8 },
    { arbitrary: fc.constantFrom("", "{", "{\"model\":", "null", "[]", "\"x\"", "1", "{\"metadata\":}", "\u0000", "{\"a\":1}garbage", "\uFEFF{}"), weight: 1 },
    { arbitrary: anyString, weight: 1 },
  );
const contentType = fc.constantFrom<string | undefined>(
  "application/json",
  "application/json",
  "application/json",
  "application/json",
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  undefined,
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonx",
);

const printableAscii = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
/** Team A's key, or no key, or a bad one: never team B's. */
const teamAuth = fc.oneof(
  { arbitrary: fc.constant("A"), weight: 14 },
  { arbitrary: fc.constantFrom("none", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer sk-gw-nope", "Bearer sk-gw-00000000000000000000000000000000", `Bearer ${ADMIN_TOKEN}`), weight: 2 },
  { arbitrary: printableAscii.map((s) => `Bearer ${s}`), weight: 1 },
);
function authHeaders(auth: string): Record<string, string> {
  if (auth === "A") return { authorization: `Bearer ${teamA.key}` };
  if (auth === "none") return {};
  return { authorization: auth };
}

const anyMethod = fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS");

// ---------------------------------------------------------------------------------------------
// Targeted checks of team isolation, before any fuzzing

describe("team isolation (targeted)", () => {
  it("answers team A's get, update, delete and messages on each of team B's ids with a 404, never a 403", async () => {
    for (const id of B_IDS) {
      for (const [method, path, body] of [
        ["GET", `/v1/chat/completions/${id}`, undefined],
        ["POST", `/v1/chat/completions/${id}`, JSON.stringify({ metadata: { hijacked: "yes" } })],
        ["GET", `/v1/chat/completions/${id}/messages`, undefined],
        ["DELETE", `/v1/chat/completions/${id}`, undefined],
      ] as const) {
        const sent = { method, path, body, headers: { ...authHeaders("A"), "content-type": "application/json" } };
        const res = await send(sent);
        const status = res.status;
        const error = (await expectSound(sent, res)) as any;
        expect(status, `${method} ${path}`).toBe(404);
        expect(error.error.type).toBe("invalid_request_error");
      }
    }
  });

  it("never lists team B's completions for team A, whatever the filter or cursor", async () => {
    // A list shows only team A's completions (all three where the page is large enough); team B's id as a cursor is not one of team A's: 400.
    const lists: [string, "all of A's" | "none" | "some"][] = [
      ["", "some"],
      ["?limit=100", "all of A's"],
      ["?metadata[owner]=team-b-private", "none"],
      ["?metadata[topic]=shared-topic&limit=100", "all of A's"],
    ];
    for (const [query, expected] of lists) {
      const { status, body } = await roundTrip({ method: "GET", path: `/v1/chat/completions${query}`, headers: authHeaders("A") });
      expect([query, status, body.object]).toEqual([query, 200, "list"]);
      const ids: string[] = body.data.map((item: { id: string }) => item.id);
      for (const id of ids) expect(B_IDS, query).not.toContain(id);
      if (expected === "none") expect(ids, query).toEqual([]);
      if (expected === "all of A's") expect(ids, query).toEqual(expect.arrayContaining(A_IDS));
      if (expected === "some") expect(ids.length, query).toBeGreaterThan(0);
    }
    for (const query of [`?after=${B_IDS[0]}`, `?after=${B_IDS[2]}&order=desc`]) {
      const { status, body } = await roundTrip({ method: "GET", path: `/v1/chat/completions${query}`, headers: authHeaders("A") });
      expect([query, status, body.error?.type, body.error?.param]).toEqual([query, 400, "invalid_request_error", "after"]);
    }
  });

  it("keeps team A's own completion apart when the upstream reuses an id team B has stored", async () => {
    upstream.spy.mockRestore();
    mockUpstream(() => jsonResponse(completionFixture({ id: B_IDS[2] })));
    const res = await call("/v1/chat/completions", { key: teamA.key, body: { model: "gpt-4o-mini", store: true, messages: [{ role: "user", content: "mine" }], metadata: { mine: "yes" } } });
    const created = await json(res);
    expect(res.status).toBe(200);
    const mine = await call(`/v1/chat/completions/${created.id}`, { key: teamA.key });
    const text = await mine.text();
    expect(mine.status).toBe(200);
    expect(text).not.toContain(MARKER);
    expect(JSON.parse(text).metadata).toEqual({ mine: "yes" });
    const messages = await call(`/v1/chat/completions/${created.id}/messages`, { key: teamA.key });
    expect(await messages.text()).not.toContain(MARKER);
    // Team B's completion with that id is untouched.
    const theirs = await json(await call(`/v1/chat/completions/${B_IDS[2]}`, { key: teamB.key }));
    expect(theirs.choices[0].message.content).toBe(`third ${MARKER}`);
    // Clean up so that later checks see team A's B-id lookups as 404s again.
    await call(`/v1/chat/completions/${created.id}`, { key: teamA.key, method: "DELETE" });
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing

describe("fuzz", () => {
  it("POST /v1/chat/completions: random bodies and content types", async () => {
    await fc.assert(
      fc.asyncProperty(bodyText(createBody), contentType, teamAuth, async (body, type, auth) => {
        const headers: Record<string, string> = { ...authHeaders(auth) };
        if (type) headers["content-type"] = type;
        await roundTrip({ method: "POST", path: "/v1/chat/completions", headers, body });
      }),
      { numRuns: RUNS * 2 },
    );
    expectReach(10, 10);
  });

  it("GET /v1/chat/completions: random query strings", async () => {
    await fc.assert(
      fc.asyncProperty(queryString, teamAuth, fc.constantFrom("/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions/"), async (query, auth, path) => {
        await roundTrip({ method: "GET", path: path + query, headers: authHeaders(auth) });
      }),
      { numRuns: RUNS },
    );
    expectReach(10, 5);
  });

  it("GET, POST and DELETE /v1/chat/completions/{id}: odd ids, random bodies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "POST", "DELETE"),
        idSegment,
        bodyText(
          fc.oneof(
            { arbitrary: fc.record({ metadata: fc.option(validMetadata) }), weight: 3 },
            { arbitrary: fc.record({ metadata: metadataArb }, { requiredKeys: [] }), weight: 2 },
            { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
          ),
        ),
        contentType,
        teamAuth,
        queryString,
        async (method, id, body, type, auth, query) => {
          const headers: Record<string, string> = { ...authHeaders(auth) };
          if (type) headers["content-type"] = type;
          await roundTrip({ method, path: `/v1/chat/completions/${id}${method === "GET" ? query : ""}`, headers, body });
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expectReach(2, 10);
  });

  it("GET /v1/chat/completions/{id}/messages: odd ids and random query strings", async () => {
    await fc.assert(
      fc.asyncProperty(idSegment, queryString, teamAuth, async (id, query, auth) => {
        await roundTrip({ method: "GET", path: `/v1/chat/completions/${id}/messages${query}`, headers: authHeaders(auth) });
      }),
      { numRuns: RUNS },
    );
    expectReach(2, 10);
  });

  it("any method on any route, known or not", async () => {
    const path = fc.oneof(
      fc.constantFrom("/v1/chat/completions", "/v1/chat/completions/", "/v1/chat", "/v1", "/v1/", "/v1/models", "/v1/chat/completions/a/b/c", "/v1//chat/completions", "/V1/chat/completions", "/v1/chat/completions/..", "/v1/chat/completions/%2e%2e/", "/admin", "/admin/teams/x/keys/y", "/openapi.json", "/doc", "/", "/favicon.ico", "/%ED%A0%80", "/v1/chat/completions%00"),
      idSegment.map((id) => `/v1/chat/completions/${id}`),
      idSegment.map((id) => `/v1/chat/completions/${id}/messages`),
      idSegment.map((id) => `/v1/${id}`),
    );
    await fc.assert(
      fc.asyncProperty(anyMethod, path, queryString, bodyText(fc.jsonValue({ maxDepth: 2 })), teamAuth, async (method, p, query, body, auth) => {
        await roundTrip({ method, path: p + query, headers: { ...authHeaders(auth), "content-type": "application/json" }, body });
      }),
      { numRuns: RUNS },
    );
    expectReach(1, 10);
  });

  it("admin routes, with the admin token, a wrong one, a team key or none", async () => {
    // Team ids of both teams and odd ones; never a real key id, so that no live key is revoked, and
    // never a DELETE of team A or B.
    const teamSegment = fc.oneof(fc.constantFrom("team_missing", "..%2F..", "%00", "x".repeat(300)), idSegment, fc.constant("A"), fc.constant("B"));
    const adminPath = fc.oneof(
      fc.constant("/admin/teams"),
      teamSegment.map((t) => `/admin/teams/${t}`),
      teamSegment.map((t) => `/admin/teams/${t}/keys`),
      idSegment.map((k) => `/admin/keys/${k}`),
      idSegment.map((k) => `/admin/keys/${k}/revoke`),
      idSegment.map((s) => `/admin/${s}`),
    );
    const adminAuth = fc.constantFrom<Record<string, string>>(
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
      { authorization: ADMIN_TOKEN },
      {},
    );
    const adminBody = bodyText(
      fc.oneof(
        fc.record({ name: anyString }, { requiredKeys: [] }),
        fc.record(
          { name: fc.oneof(anyString, fc.constant(null)), expires_at: fc.oneof(fc.integer(), fc.double(), fc.constant(null)), allowed_models: fc.oneof(fc.array(anyString, { maxLength: 3 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 })) },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(anyMethod, adminPath, adminAuth, fc.integer({ min: 0, max: 4 }).map((n) => n === 0), adminBody, async (method, rawPath, auth, asTeamA, body) => {
        // Deleting a team is real (its keys stop working): the fuzzer never deletes team A or B.
        const deletesTeam = method === "DELETE" && /^\/admin\/teams\/(A|B)$/.test(rawPath);
        const path = deletesTeam ? "/admin/teams/team_missing" : rawPath.replace(/\/(A|B)(?=\/|$)/, (_, t) => `/${t === "A" ? teamA.teamId : teamB.teamId}`);
        const headers: Record<string, string> = { ...(asTeamA ? authHeaders("A") : auth), "content-type": "application/json" };
        const { status } = await roundTrip({ method, path, headers, body });
        // Only the admin token opens the admin API.
        // A path like /admin/.. is normalised by the URL parser to / and is not an admin route.
        const isAdminPath = new URL(path, "http://gw").pathname.startsWith("/admin");
        if (isAdminPath && headers.authorization !== `Bearer ${ADMIN_TOKEN}`) expect(status, `${method} ${path}`).toBe(401);
      }),
      { numRuns: RUNS },
    );
    expectReach(2, 10);
  });
});

// ---------------------------------------------------------------------------------------------
// After the fuzzing

describe("after fuzzing", () => {
  it("round-trips emoji, combining marks and lone surrogates in content and metadata", async () => {
    const metadataValue = fc.string({ unit: wildChar, maxLength: 40 });
    const metadataKey = fc.string({ unit: wildChar, minLength: 1, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(metadataKey, metadataValue, { maxKeys: 4 }), wildString(60), async (metadata, content) => {
        const res = await call("/v1/chat/completions", { key: teamA.key, body: { model: "gpt-4o-mini", store: true, messages: [{ role: "user", content }], metadata } });
        expect(res.status).toBe(200);
        const { id } = await json(res);
        const stored = await json(await call(`/v1/chat/completions/${id}`, { key: teamA.key }));
        expect(stored.metadata).toStrictEqual({ ...metadata });
        const messages = await json(await call(`/v1/chat/completions/${id}/messages`, { key: teamA.key }));
        expect(messages.data[0].content).toBe(content);
      }),
      { numRuns: 40 },
    );
  });

  it("leaves team B's completions, metadata and messages exactly as they were", async () => {
    const list = await json(await call("/v1/chat/completions?limit=100", { key: teamB.key }));
    expect(list.data.map((c: any) => c.id).sort()).toEqual([...B_IDS].sort());
    for (const item of list.data) {
      expect(item.metadata).toEqual(item.id === B_IDS[2] ? { owner: "team-b-private" } : bMetadata);
      expect(JSON.stringify(item)).toContain(MARKER);
      const messages = await json(await call(`/v1/chat/completions/${item.id}/messages?limit=100`, { key: teamB.key }));
      expect(messages.data.length).toBe(item.id === B_IDS[2] ? 1 : 4);
    }
  });

  // A "__proto__" key is validated and stored like any other (z.record would drop it silently).
  // docs/contract.md: a key is any string of at most 64 characters, a value a string of at most 512,
  // and anything else is a 400 with param "metadata".
  const protoCases = [
    { name: "create", path: () => "/v1/chat/completions", body: (metadata: string) => `{"model":"gpt-4o-mini","store":true,"messages":[{"role":"user","content":"p"}],"metadata":${metadata}}` },
    { name: "update", path: () => `/v1/chat/completions/${A_IDS[0]}`, body: (metadata: string) => `{"metadata":${metadata}}` },
  ];
  for (const c of protoCases) {
    it(`refuses a metadata value that is not a string under the key "__proto__" (${c.name})`, async () => {
      for (const value of ['{"a":1}', "1", "null", "[]", '"' + "v".repeat(600) + '"']) {
        const sent = { method: "POST", path: c.path(), headers: { ...authHeaders("A"), "content-type": "application/json" }, body: c.body(`{"__proto__":${value}}`) };
        const { status, body } = await roundTrip(sent);
        expect(status, `${c.name} __proto__: ${value.slice(0, 20)}`).toBe(400);
        expect(body.error.param).toBe("metadata");
      }
    });

    it(`stores a "__proto__" metadata key like any other, never dropping it (${c.name})`, async () => {
      const sent = { method: "POST", path: c.path(), headers: { ...authHeaders("A"), "content-type": "application/json" }, body: c.body('{"__proto__":"kept","constructor":"c","toString":"t"}') };
      const { status, body } = await roundTrip(sent);
      expect(status).toBe(200);
      const id = c.name === "create" ? body.id : A_IDS[0];
      const stored = JSON.parse(await (await call(`/v1/chat/completions/${id}`, { key: teamA.key })).text());
      expect(Object.keys(stored.metadata).sort()).toEqual(["__proto__", "constructor", "toString"]);
      expect(Object.getOwnPropertyDescriptor(stored.metadata, "__proto__")?.value).toBe("kept");
    });
  }
});
