import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { dateInTimeZone } from '../../domain/dates.ts';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { intakeRecords, outages } from '../../store/schema.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { regionFilter } from '../scope.ts';

export type OutageRow = typeof outages.$inferSelect;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One outage by id; a malformed id is simply not found. `forUpdate` locks the row until the
 * transaction ends, so two clerks clearing or completing the same outage are serialized and the
 * second sees the first one's result.
 */
export async function findOutageRow(
  db: Db,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<OutageRow> {
  let row: OutageRow | undefined;
  if (UUID.test(id)) {
    const query = db.select().from(outages).where(eq(outages.id, id));
    [row] = opts.forUpdate ? await query.for('update') : await query;
  }
  // The same words as assertVisible's, so an outsider cannot tell "elsewhere" from "nowhere".
  if (!row) throw new AppError('NOT_FOUND', '故障记录不存在');
  return row;
}

/**
 * The days whose data the outage kept from being pushed: from the Beijing date it started to
 * the Beijing date it was cleared, both included. Records carry civil dates (event_date), so the
 * window is in civil dates too; UTC dates would drop an evening's records.
 */
export function repushWindow(
  row: Pick<OutageRow, 'startedAt' | 'clearedAt'>,
): { from: string; to: string } | null {
  if (!row.clearedAt) return null;
  return { from: dateInTimeZone(row.startedAt), to: dateInTimeZone(row.clearedAt) };
}

/**
 * Records of the outage window pushed once the fault was cleared, from the outage's region
 * subtree (a city's outage covers its counties' pushes). Each row of intake_records is one
 * distinct sourceRecordId + sourceVersion, so a repeated push is never counted twice.
 */
export async function countRepushedRecords(
  db: Db,
  row: Pick<OutageRow, 'regionCode' | 'startedAt' | 'clearedAt'>,
): Promise<number> {
  const window = repushWindow(row);
  if (!window || !row.clearedAt) return 0;
  const [count] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(intakeRecords)
    .where(
      and(
        regionFilter(intakeRecords.regionCode, row.regionCode),
        gte(intakeRecords.receivedAt, row.clearedAt),
        gte(intakeRecords.eventDate, window.from),
        lte(intakeRecords.eventDate, window.to),
      ),
    );
  return Number(count?.n ?? 0);
}

/** The platform itself, when it marks an outage overdue (nobody clicked anything). */
export function outageSystemActor(ctx: Pick<ServiceContext, 'config'>): Actor {
  return { type: 'system', id: 'system:outage-deadlines', regionCode: ctx.config.province.code };
}
