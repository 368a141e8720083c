import { type SQL, sql } from 'drizzle-orm';
import type { Db } from './db.ts';

export type ColumnType = 'text' | 'integer' | 'bigint' | 'timestamptz' | 'jsonb' | 'uuid';

/**
 * Multi-row INSERT for bulk paths: the rows travel as one JSON parameter and are unpacked by
 * `jsonb_to_recordset`, so building the statement costs one JSON.stringify however many rows
 * there are (the query builder's per-value work dominated bulk issuance). Column names and types
 * come from code, never from input. `tail` may add ON CONFLICT / RETURNING.
 */
export async function insertRows<R = Record<string, unknown>>(
  tx: Db,
  table: string,
  columns: Record<string, ColumnType>,
  rows: readonly Record<string, unknown>[],
  tail: SQL = sql``,
): Promise<R[]> {
  if (rows.length === 0) return [];
  const names = Object.keys(columns);
  for (const n of [table, ...names])
    if (!/^[a-z_][a-z0-9_]*$/.test(n)) throw new Error(`bad identifier ${n}`);
  const list = sql.raw(names.join(', '));
  const typed = sql.raw(names.map((n) => `${n} ${columns[n]}`).join(', '));
  // Dates serialize as ISO 8601 through Date#toJSON, which timestamptz reads.
  const json = JSON.stringify(rows);
  const res = (await tx.execute(
    sql`insert into ${sql.raw(table)} (${list}) select ${list} from jsonb_to_recordset(${json}::jsonb) as x(${typed}) ${tail}`,
  )) as unknown as { rows: R[] };
  return res.rows;
}
