import { DurableObject } from "cloudflare:workers";
import { type Limits, periodStart } from "./limits";

// One Durable Object per team: every isolate, in every location, admits the team's requests
// through this one object, so its counters are exact. A Durable Object handles one call at a time
// and its SQLite calls are synchronous, so a check and its reservation can never interleave with
// another request's: there is no check-then-record race. Money is in integer nano-dollars
// (src/lib/money.ts), so that a budget is reached exactly, never a rounding early or late.

const WINDOW_MS = 60_000;
/** A reservation never settled (its isolate died) is charged at its estimate after this long. */
const STALE_RESERVATION_MS = 15 * 60_000;
/**
 * A charged-at-estimate reservation is kept this long, so that a request that was only slow (a
 * stream of an hour) still settles: its real cost replaces the estimate when it ends.
 */
const LATE_SETTLE_MS = 24 * 3600_000;

interface AdmitInput {
  keyId: string;
  key: Limits | null;
  team: Limits | null;
  /** Estimated tokens (input bytes / 4 + max output) and nano-dollars. */
  tokens: number;
  nanoUsd: number;
}

/** The state of one limit after a decision, for the x-ratelimit-* headers. */
export interface LimitState {
  limit: number;
  remaining: number;
  resetMs: number;
}

type AdmitResult =
  | { admitted: true; reservationId: string; requests: LimitState | null; tokens: LimitState | null }
  | { admitted: false; reason: "requests" | "tokens"; scope: "key" | "team"; retryAfterMs: number; requests: LimitState | null; tokens: LimitState | null }
  | { admitted: false; reason: "budget"; scope: "key" | "team"; maxBudgetNanoUsd: number; spentNanoUsd: number; requests: LimitState | null; tokens: LimitState | null };

interface Scope {
  name: string;
  kind: "key" | "team";
  limits: Limits;
}

export class TeamLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.storage.transactionSync(() => {
      this.createTables();
      this.convertDollarColumns();
    });
  }

  private createTables(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS windows (scope TEXT NOT NULL, window_start INTEGER NOT NULL, requests INTEGER NOT NULL, tokens INTEGER NOT NULL, PRIMARY KEY (scope, window_start));
      CREATE TABLE IF NOT EXISTS spend (scope TEXT NOT NULL, period_start INTEGER NOT NULL, nano_usd INTEGER NOT NULL, PRIMARY KEY (scope, period_start));
      CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, scopes TEXT NOT NULL, window_start INTEGER NOT NULL, created_ms INTEGER NOT NULL, tokens INTEGER NOT NULL, nano_usd INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS charged_reservations (id TEXT PRIMARY KEY, scopes TEXT NOT NULL, window_start INTEGER NOT NULL, created_ms INTEGER NOT NULL, tokens INTEGER NOT NULL, nano_usd INTEGER NOT NULL);
    `);
  }

  /** A team's object made when spend was REAL dollars: its amounts become nano-dollars, once. */
  private convertDollarColumns(): void {
    const tables = this.sql
      .exec<{ name: string }>("SELECT m.name FROM sqlite_master AS m, pragma_table_info(m.name) AS c WHERE m.type = 'table' AND c.name = 'usd'")
      .toArray()
      .map((row) => row.name)
      .filter((name) => name === "spend" || name === "reservations" || name === "charged_reservations");
    for (const table of tables) {
      this.sql.exec(`ALTER TABLE ${table} ADD COLUMN nano_usd INTEGER NOT NULL DEFAULT 0`);
      this.sql.exec(`UPDATE ${table} SET nano_usd = CAST(round(usd * 1000000000) AS INTEGER)`);
      this.sql.exec(`ALTER TABLE ${table} DROP COLUMN usd`);
    }
  }

  admit(input: AdmitInput): AdmitResult {
    const now = Date.now();
    this.expireStaleReservations(now);
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const resetMs = windowStart + WINDOW_MS - now;
    const scopes: Scope[] = [];
    if (input.key) scopes.push({ name: `key:${input.keyId}`, kind: "key", limits: input.key });
    if (input.team) scopes.push({ name: "team", kind: "team", limits: input.team });

    // What is left before this request; it takes 1 request and its estimated tokens if admitted.
    let requests: LimitState | null = null;
    let tokens: LimitState | null = null;
    let denied: { reason: "requests" | "tokens"; scope: "key" | "team" } | null = null;
    for (const scope of scopes) {
      const used = this.windowUse(scope.name, windowStart);
      const { rpm, tpm } = scope.limits;
      if (rpm !== null) {
        if (!denied && used.requests + 1 > rpm) denied = { reason: "requests", scope: scope.kind };
        requests = tighter(requests, { limit: rpm, remaining: Math.max(0, rpm - used.requests), resetMs });
      }
      if (tpm !== null) {
        if (!denied && used.tokens + input.tokens > tpm) denied = { reason: "tokens", scope: scope.kind };
        tokens = tighter(tokens, { limit: tpm, remaining: Math.max(0, tpm - used.tokens), resetMs });
      }
    }
    if (denied) return { admitted: false, ...denied, retryAfterMs: resetMs, requests, tokens };
    for (const scope of scopes) {
      const { maxBudgetNanoUsd, budgetPeriod } = scope.limits;
      if (maxBudgetNanoUsd === null) continue;
      const spentNanoUsd = this.committedNanoUsd(scope.name, periodStart(budgetPeriod, now));
      if (spentNanoUsd >= maxBudgetNanoUsd || spentNanoUsd + input.nanoUsd > maxBudgetNanoUsd) {
        return { admitted: false, reason: "budget", scope: scope.kind, maxBudgetNanoUsd, spentNanoUsd, requests, tokens };
      }
    }
    const reservationId = crypto.randomUUID();
    for (const scope of scopes) {
      this.sql.exec(
        `INSERT INTO windows (scope, window_start, requests, tokens) VALUES (?, ?, 1, ?)
         ON CONFLICT DO UPDATE SET requests = requests + 1, tokens = tokens + excluded.tokens`,
        scope.name,
        windowStart,
        input.tokens,
      );
    }
    this.sql.exec(
      "INSERT INTO reservations (id, scopes, window_start, created_ms, tokens, nano_usd) VALUES (?, ?, ?, ?, ?, ?)",
      reservationId,
      JSON.stringify(scopes.map((s) => ({ name: s.name, period: s.limits.budgetPeriod }))),
      windowStart,
      now,
      input.tokens,
      input.nanoUsd,
    );
    this.sql.exec("DELETE FROM windows WHERE window_start < ?", windowStart - WINDOW_MS);
    if (requests) requests.remaining = Math.max(0, requests.remaining - 1);
    if (tokens) tokens.remaining = Math.max(0, tokens.remaining - input.tokens);
    return { admitted: true, reservationId, requests, tokens };
  }

  /**
   * Replaces a reservation with what the request really used. `tokens`/`nanoUsd` null: it is
   * unknown (a cut stream, an unpriced model), so the estimate stays charged. A reservation already charged at its
   * estimate (older than 15 minutes) gets the difference. A settled or unknown id changes nothing.
   */
  settle(reservationId: string, tokens: number | null, nanoUsd: number | null): void {
    const open = this.reservation("reservations", reservationId);
    if (open) {
      this.charge(open, tokens ?? open.tokens, nanoUsd ?? open.nano_usd);
      this.sql.exec("DELETE FROM reservations WHERE id = ?", reservationId);
      return;
    }
    const charged = this.reservation("charged_reservations", reservationId);
    if (!charged) return;
    this.charge(charged, tokens ?? charged.tokens, (nanoUsd ?? charged.nano_usd) - charged.nano_usd, charged.tokens);
    this.sql.exec("DELETE FROM charged_reservations WHERE id = ?", reservationId);
  }

  private reservation(table: "reservations" | "charged_reservations", id: string): ReservationRow | undefined {
    return this.sql.exec<ReservationRow>(`SELECT id, scopes, window_start, created_ms, tokens, nano_usd FROM ${table} WHERE id = ?`, id).toArray()[0];
  }

  /**
   * Raises a scope's settled spend for the current period to at least `nanoUsd`: when a budget is
   * set, the spend already counted in D1 before this object tracked it still counts.
   */
  seedSpend(scope: { kind: "team" } | { kind: "key"; keyId: string }, period: Limits["budgetPeriod"], nanoUsd: number): void {
    const name = scope.kind === "team" ? "team" : `key:${scope.keyId}`;
    this.sql.exec(
      "INSERT INTO spend (scope, period_start, nano_usd) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET nano_usd = max(nano_usd, excluded.nano_usd)",
      name,
      periodStart(period, Date.now()),
      nanoUsd,
    );
  }

  /** Forgets everything (team deletion); the empty tables stay, for a request still in flight. */
  async purge(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.createTables();
  }

  /**
   * Adds `nanoUsd` to the spend of each scope's period (a negative amount takes back part of an
   * estimate charged before), and moves the window's tokens from `reservedTokens` to `tokens`.
   */
  private charge(row: ReservationRow, tokens: number, nanoUsd: number, reservedTokens = row.tokens): void {
    const scopes = JSON.parse(row.scopes) as { name: string; period: Limits["budgetPeriod"] }[];
    for (const scope of scopes) {
      this.sql.exec(
        "UPDATE windows SET tokens = max(0, tokens + ?) WHERE scope = ? AND window_start = ?",
        tokens - reservedTokens,
        scope.name,
        row.window_start,
      );
      if (nanoUsd !== 0) {
        this.sql.exec(
          "INSERT INTO spend (scope, period_start, nano_usd) VALUES (?, ?, max(0, ?)) ON CONFLICT DO UPDATE SET nano_usd = max(0, nano_usd + ?)",
          scope.name,
          periodStart(scope.period, row.created_ms),
          nanoUsd,
          nanoUsd,
        );
      }
    }
  }

  private windowUse(scope: string, windowStart: number): { requests: number; tokens: number } {
    const row = this.sql.exec<{ requests: number; tokens: number }>("SELECT requests, tokens FROM windows WHERE scope = ? AND window_start = ?", scope, windowStart).toArray()[0];
    return row ?? { requests: 0, tokens: 0 };
  }

  /** Settled spend of the period plus every open reservation of the scope. */
  private committedNanoUsd(scope: string, since: number): number {
    const settled = this.sql.exec<{ nano_usd: number }>("SELECT nano_usd FROM spend WHERE scope = ? AND period_start = ?", scope, since).toArray()[0]?.nano_usd ?? 0;
    const reserved =
      this.sql
        .exec<{ nano_usd: number | null }>(
          "SELECT sum(nano_usd) AS nano_usd FROM reservations, json_each(reservations.scopes) AS s WHERE json_extract(s.value, '$.name') = ? AND created_ms >= ?",
          scope,
          since * 1000,
        )
        .toArray()[0]?.nano_usd ?? 0;
    return settled + (reserved ?? 0);
  }

  private expireStaleReservations(now: number): void {
    const stale = this.sql
      .exec<ReservationRow>("SELECT id, scopes, window_start, created_ms, tokens, nano_usd FROM reservations WHERE created_ms < ?", now - STALE_RESERVATION_MS)
      .toArray();
    for (const row of stale) {
      this.charge(row, row.tokens, row.nano_usd);
      this.sql.exec("DELETE FROM reservations WHERE id = ?", row.id);
      this.sql.exec(
        "INSERT OR IGNORE INTO charged_reservations (id, scopes, window_start, created_ms, tokens, nano_usd) VALUES (?, ?, ?, ?, ?, ?)",
        row.id,
        row.scopes,
        row.window_start,
        row.created_ms,
        row.tokens,
        row.nano_usd,
      );
    }
    this.sql.exec("DELETE FROM charged_reservations WHERE created_ms < ?", now - LATE_SETTLE_MS);
  }
}

type ReservationRow = {
  id: string;
  scopes: string;
  window_start: number;
  created_ms: number;
  tokens: number;
  nano_usd: number;
};

function tighter(current: LimitState | null, next: LimitState): LimitState {
  return current === null || next.remaining < current.remaining ? next : current;
}
