import { and, asc, eq, getTableColumns, getTableName, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { chunkRows, maxUtf8Bytes, PAYLOAD_PIECE_UNITS, splitText } from "./d1-limits";
import { completionMessages, completionMetadata, completions, payloadParts, writeSpool } from "./schema";
import type { NewStoredCompletion } from "./types";

// How a completion is written: idempotent, so that a write retried from the queue (after a
// timeout whose write did land after all) never stores anything twice, and gated, so that it
// never brings back a completion that was deleted, or a team that was, while it was pending.

export const BODY_SLOT = -1;

/** A JSON payload as stored: inline when it fits in one row, otherwise as ordered parts. */
function layoutPayload(json: string): { inline: string | null; parts: string[] } {
  if (json.length <= PAYLOAD_PIECE_UNITS) return { inline: json, parts: [] };
  return { inline: null, parts: splitText(json) };
}

/**
 * `SELECT … FROM (VALUES …)`, for `INSERT … SELECT`, keeping only the rows whose completion may be
 * written now: not stored yet (so a retry adds no child row twice, nor re-adds metadata replaced
 * since), not deleted (no tombstone), and of a team that is not deleted. The values are in the
 * table's column order, team_id and the completion id first. `checkStored` is false for the
 * completion row itself, which is written last and relies on its primary key (ON CONFLICT DO NOTHING).
 */
function gatedRows(rows: unknown[][], checkStored: boolean): SQL {
  const values = sql.join(
    rows.map((row) => sql`(${sql.join(row.map((value) => sql`${value}`), sql`, `)})`),
    sql`, `,
  );
  const selected = sql.raw(rows[0].map((_, i) => `v.column${i + 1}`).join(", "));
  const notStored = checkStored ? sql`and not exists (select 1 from completions c where c.team_id = v.column1 and c.id = v.column2)` : sql``;
  return sql`select ${selected} from (values ${values}) v
    where exists (select 1 from teams t where t.id = v.column1 and t.deleted_at is null)
      and not exists (select 1 from completion_tombstones d where d.team_id = v.column1 and d.completion_id = v.column2)
      ${notStored}`;
}

/**
 * The SQL of one gated insert depends only on its table, its number of rows and `checkStored`: it
 * is built by Drizzle once per shape and kept, and each write only binds its values (row by row,
 * in column order, as gatedRows writes them). Drizzle building the same statement for every write
 * cost more isolate CPU than the rest of the write.
 */
const gatedInsertSql = new Map<string, string>();

function gatedInsert(db: Db, table: SQLiteTable, rows: unknown[][], checkStored: boolean): D1PreparedStatement {
  const key = `${getTableName(table)}/${rows.length}/${rows[0].length}/${checkStored}`;
  let text = gatedInsertSql.get(key);
  if (text === undefined) {
    const placeholders = rows.map((row) => row.map(() => null));
    text = db.insert(table).select(gatedRows(placeholders, checkStored)).onConflictDoNothing().toSQL().sql;
    gatedInsertSql.set(key, text);
  }
  return db.$client.prepare(text).bind(...rows.flat());
}

/** The statements that store `records`, within D1's limits; run them as one batch (atomic). */
function insertStatements(db: Db, records: NewStoredCompletion[]): D1PreparedStatement[] {
  const completionRows: unknown[][] = [];
  const metadataRows: unknown[][] = [];
  const messageRows: unknown[][] = [];
  const parts: unknown[][] = [];
  for (const record of records) {
    const { teamId, id } = record;
    const body = layoutPayload(JSON.stringify(record.body));
    body.parts.forEach((data, part) => parts.push([teamId, id, BODY_SLOT, part, data]));
    // In the column order of the table (schema.ts), as INSERT … SELECT needs.
    completionRows.push([
      teamId,
      id,
      record.created,
      record.model,
      JSON.stringify(record.metadata),
      body.inline,
      body.parts.length,
      record.messages.length,
      record.storedAt,
      record.upstreamId,
      record.upstream,
    ]);
    for (const [key, value] of Object.entries(record.metadata)) metadataRows.push([teamId, id, key, value, record.created]);
    record.messages.forEach((message, idx) => {
      const layout = layoutPayload(message);
      layout.parts.forEach((data, part) => parts.push([teamId, id, idx, part, data]));
      messageRows.push([teamId, id, idx, layout.inline, layout.parts.length]);
    });
  }
  const text = (row: unknown[], ...columns: number[]) => columns.reduce((sum, c) => sum + maxUtf8Bytes(row[c] as string | null), 0);
  const statements: D1PreparedStatement[] = [];
  const add = (table: SQLiteTable, rows: unknown[][], checkStored: boolean, bytes: (row: unknown[]) => number) => {
    const columns = Object.keys(getTableColumns(table)).length;
    for (const group of chunkRows(rows, columns, bytes)) statements.push(gatedInsert(db, table, group, checkStored));
  };
  // Children first: they are only written while the completion row does not exist yet.
  add(payloadParts, parts, true, (row) => text(row, 4));
  add(completionMessages, messageRows, true, (row) => text(row, 3));
  add(completionMetadata, metadataRows, true, (row) => text(row, 2, 3));
  add(completions, completionRows, false, (row) => text(row, 4, 5));
  return statements;
}

/** Stores completions in one D1 batch: all or nothing, and a no-op for any already stored. */
export async function insertCompletions(db: Db, records: NewStoredCompletion[]): Promise<void> {
  const statements = insertStatements(db, records);
  // Straight to D1: Drizzle's batch would prepare each statement again only to map empty results.
  if (statements.length > 0) await db.$client.batch(statements);
}

/**
 * Keeps one piece of a completion that came through the queue in several messages. Once every
 * piece is there, writes the whole and removes the pieces in the same batch; returns true then
 * (or if it was written before), false while pieces are missing.
 */
export async function spoolPiece(
  db: Db,
  piece: { teamId: string; completionId: string; piece: number; pieces: number; data: string },
  decode: (json: string) => NewStoredCompletion,
): Promise<boolean> {
  const { teamId, completionId } = piece;
  const mine = and(eq(writeSpool.teamId, teamId), eq(writeSpool.completionId, completionId));
  const d1 = db.$client;
  const statement = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
    const { sql: text, params } = query.toSQL();
    return d1.prepare(text).bind(...params);
  };
  // One round trip: is the whole written already; keep this piece, gated as the final write is (not
  // for a completion already stored or deleted, nor for a deleted team); and the pieces there now.
  const [stored, , spooled] = await d1.batch([
    statement(db.select({ id: completions.id }).from(completions).where(and(eq(completions.teamId, teamId), eq(completions.id, completionId)))),
    gatedInsert(db, writeSpool, [[teamId, completionId, piece.piece, piece.pieces, piece.data, Date.now()]], true),
    statement(db.select({ piece: writeSpool.piece, data: writeSpool.data }).from(writeSpool).where(mine).orderBy(asc(writeSpool.piece))),
  ]);
  // A late retry of a piece whose whole is already written leaves nothing behind.
  if (stored.results.length > 0) return true;
  const pieces = spooled.results as { piece: number; data: string }[];
  if (pieces.length < piece.pieces) return false;
  const record = decode(pieces.map((p) => p.data).join(""));
  await d1.batch([...insertStatements(db, [record]), statement(db.delete(writeSpool).where(mine))]);
  return true;
}
