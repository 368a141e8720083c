import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Db } from './db.ts';

export type ColumnType = 'text' | 'integer' | 'bigint' | 'timestamptz' | 'jsonb' | 'uuid';

/**
 * Multi-row INSERT for bulk paths. Column names and types come from code, never from input.
 * `tail` may add ON CONFLICT / RETURNING.
 *
 * Inside a PostgreSQL transaction, rows without a `tail` go by `COPY … FROM STDIN` (text format):
 * the server then only splits lines, where an INSERT from a JSON parameter had to parse the JSON
 * into jsonb and pick every field back out of it (a quarter of the server's time in bulk issuance).
 * COPY fires the same triggers and checks the same constraints as INSERT. Elsewhere (PGlite, a
 * `tail`, or a pool instead of a transaction) the rows travel as one JSON parameter unpacked by
 * `jsonb_to_recordset`, which still costs one JSON.stringify however many rows there are.
 */
export async function insertRows<R = Record<string, unknown>>(
  tx: Db,
  table: string,
  columns: Record<string, ColumnType>,
  rows: readonly Record<string, unknown>[],
  tail?: SQL,
): Promise<R[]> {
  if (rows.length === 0) return [];
  const names = Object.keys(columns);
  for (const n of [table, ...names])
    if (!/^[a-z_][a-z0-9_]*$/.test(n)) throw new Error(`bad identifier ${n}`);
  if (tail === undefined) {
    const client = transactionClient(tx);
    if (client) {
      await copyIn(client, `copy ${table} (${names.join(', ')}) from stdin`, copyText(names, columns, rows));
      return [];
    }
  }
  const list = sql.raw(names.join(', '));
  const typed = sql.raw(names.map((n) => `${n} ${columns[n]}`).join(', '));
  // Dates serialize as ISO 8601 through Date#toJSON, which timestamptz reads.
  const json = JSON.stringify(rows);
  const res = (await tx.execute(
    sql`insert into ${sql.raw(table)} (${list}) select ${list} from jsonb_to_recordset(${json}::jsonb) as x(${typed}) ${tail ?? sql``}`,
  )) as unknown as { rows: R[] };
  return res.rows;
}

/**
 * The node-postgres connection a Drizzle transaction runs on, or null (PGlite, or a pool, where
 * a COPY could land on another connection than the transaction's).
 */
function transactionClient(tx: Db): pg.Client | null {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  return client instanceof pg.Client ? client : null;
}

/** Whether insertRows without a `tail` goes by COPY on this handle. */
export function canCopy(tx: Db): boolean {
  return transactionClient(tx) !== null;
}

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES = /[\\\n\r\t]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One field in COPY text format: `\N` for null, backslash escapes for the four special characters. */
function copyField(value: unknown, type: ColumnType, dates: { last: Date | null; text: string }): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (value instanceof Date) {
    // A chunk's timestamps are mostly one `now`: format it once.
    if (value !== dates.last) {
      dates.last = value;
      dates.text = value.toISOString();
    }
    return dates.text;
  }
  if (type === 'jsonb') text = JSON.stringify(value);
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else throw new Error(`bulk insert: a ${typeof value} cannot go into a ${type} column`);
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPES, (c) => ESCAPED[c]!) : text;
}

/**
 * Rows as COPY text: tab-separated fields, one line per row, in the order of `names`. Fields are
 * written straight into one growing buffer: joining them as strings first and encoding the result
 * cost five times as much (a rope of thousands of pieces, flattened and re-encoded whole).
 */
export function copyText(
  names: readonly string[],
  columns: Record<string, ColumnType>,
  rows: readonly Record<string, unknown>[],
): Buffer {
  const types = names.map((n) => columns[n]!);
  const dates = { last: null as Date | null, text: '' };
  let buffer = Buffer.allocUnsafe(4096);
  let at = 0;
  for (const row of rows) {
    for (let c = 0; c < names.length; c++) {
      const field = copyField(row[names[c]!], types[c]!, dates);
      // Room for the field in UTF-8 (at most 3 bytes per UTF-16 unit) and its separator.
      const needed = at + field.length * 3 + 1;
      if (needed > buffer.length) {
        const grown = Buffer.allocUnsafe(Math.max(needed, buffer.length * 2));
        buffer.copy(grown, 0, 0, at);
        buffer = grown;
      }
      at += buffer.write(field, at, 'utf8');
      buffer[at++] = c === names.length - 1 ? 0x0a : 0x09;
    }
  }
  return buffer.subarray(0, at);
}

/** The part of node-postgres' connection a COPY FROM STDIN needs. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * `COPY … FROM STDIN` as a node-postgres submittable: the statement goes out, the server answers
 * CopyInResponse, the data follows in one CopyData message and CopyDone; ReadyForQuery (or an
 * error, after which node-postgres drops the query) settles it.
 */
function copyIn(client: pg.Client, text: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    const submittable = {
      callback: settle,
      submit(connection: CopyConnection) {
        connection.query(text);
      },
      handleCopyInResponse(connection: CopyConnection) {
        connection.sendCopyFromChunk(data);
        connection.endCopyFrom();
      },
      handleCopyData() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleCommandComplete() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleError(err: Error) {
        settle(err);
      },
      handleReadyForQuery() {
        settle(null);
      },
    };
    client.query(submittable as unknown as pg.Submittable);
  });
}
