import { sql } from 'drizzle-orm';
import type { Db } from './db.ts';

/**
 * The next serial for a GB/T 36904 identifier, from the `certificate_serial_seq` database
 * sequence: several API nodes (or processes) never mint the same value, and no transaction
 * rollback ever hands a value out twice.
 */
export async function nextCertificateSerial(db: Db): Promise<number> {
  const res = (await db.execute(sql`select nextval('certificate_serial_seq') as n`)) as unknown as {
    rows: { n: string | number }[];
  };
  return Number(res.rows[0]!.n);
}
