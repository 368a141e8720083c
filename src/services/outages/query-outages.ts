import { and, asc, desc, eq, type SQL, sql } from 'drizzle-orm';
import { getRegion } from '../../domain/regions.ts';
import { outages } from '../../store/schema.ts';
import { ensureHolidayYears } from '../calendar/holiday-years.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertVisible, regionFilter, requirePermission, scopeFilter } from '../scope.ts';
import { invalidField } from './outage-input.ts';
import { countRepushedRecords, findOutageRow } from './outage-records.ts';
import { isOutageStatus, nextOutageStatus, outageStatuses } from './outage-status.ts';
import { calendarYearsOf, type OutageView, toOutageView } from './outage-view.ts';
import { refreshOutages } from './refresh-outages.ts';

export interface ListOutagesQuery {
  status?: string;
  regionCode?: string;
  limit?: number;
  offset?: number;
}

/** A department that missed a re-push deadline (flagged for supervision). */
export interface OverdueDepartment {
  regionCode: string;
  regionName: string;
  department: string | null;
  /** Its outages whose deadline was missed, completed late or not. */
  overdueOutages: number;
  /** Of those, the ones whose re-push is still not declared done. */
  notCompleted: number;
}

export interface OutageList {
  items: OutageView[];
  total: number;
  overdueDepartments: OverdueDepartment[];
}

/**
 * Outages of the actor's region subtree (the whole province for a province admin), newest first,
 * with the departments that missed a deadline. Deadlines that passed since the last refresh are
 * marked first, so the answer never shows a lapsed deadline as still running.
 */
export async function listOutages(
  ctx: ServiceContext,
  actor: Actor,
  query: ListOutagesQuery = {},
): Promise<OutageList> {
  requirePermission(actor, 'certificates.read');
  if (query.status !== undefined && !isOutageStatus(query.status)) {
    throw invalidField('status', 'ENUM', `状态（status）应为 ${outageStatuses.join('、')} 之一`);
  }
  const now = ctx.clock.now();
  await refreshOutages(ctx, now, { recount: false });

  const scope: SQL[] = [scopeFilter(outages.regionCode, actor)];
  if (query.regionCode) scope.push(regionFilter(outages.regionCode, query.regionCode));
  const where = and(...scope, ...(query.status ? [eq(outages.status, query.status)] : []));
  const rows = await ctx.db
    .select()
    .from(outages)
    .where(where)
    .orderBy(desc(outages.startedAt), desc(outages.id))
    .limit(Math.min(query.limit ?? 50, 200))
    .offset(query.offset ?? 0);
  const [count] = await ctx.db.select({ n: sql<number>`count(*)::int` }).from(outages).where(where);
  await ensureHolidayYears(ctx.db, calendarYearsOf(rows));
  const items: OutageView[] = [];
  for (const row of rows) items.push(toOutageView(row, await countRepushedRecords(ctx.db, row), now));

  const overdue = await ctx.db
    .select({
      regionCode: outages.regionCode,
      department: outages.department,
      overdueOutages: sql<number>`count(*)::int`,
      notCompleted: sql<number>`(count(*) filter (where ${outages.completedAt} is null))::int`,
    })
    .from(outages)
    .where(and(...scope, eq(outages.status, 'overdue')))
    .groupBy(outages.regionCode, outages.department)
    .orderBy(asc(outages.regionCode), asc(outages.department));

  return {
    items,
    total: Number(count?.n ?? 0),
    overdueDepartments: overdue.map((d) => ({
      regionCode: d.regionCode,
      regionName: getRegion(d.regionCode)?.fullName ?? d.regionCode,
      department: d.department,
      overdueOutages: Number(d.overdueOutages),
      notCompleted: Number(d.notCompleted),
    })),
  };
}

/** One outage; outside the actor's subtree it does not exist (404). */
export async function getOutage(ctx: ServiceContext, actor: Actor, id: string): Promise<OutageView> {
  requirePermission(actor, 'certificates.read');
  const now = ctx.clock.now();
  let row = await findOutageRow(ctx.db, id);
  assertVisible(actor, row.regionCode, '故障记录');
  if (row.deadline && row.deadline < now && nextOutageStatus(row, 'overdue')) {
    // Its deadline lapsed since the last refresh: mark it (and any other lapsed one) first.
    await refreshOutages(ctx, now, { recount: false });
    row = await findOutageRow(ctx.db, id);
  }
  await ensureHolidayYears(ctx.db, calendarYearsOf([row]));
  return toOutageView(row, await countRepushedRecords(ctx.db, row), now);
}
