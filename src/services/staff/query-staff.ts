import { and, asc, eq, sql } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { staffUsers } from '../../store/schema.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertVisible, regionFilter, requirePermission, scopeFilter } from '../scope.ts';
import { type StaffView, toStaffView } from './staff-view.ts';

export interface ListStaffQuery {
  regionCode?: string;
  role?: string;
  q?: string;
  limit?: number;
  offset?: number;
}

/** Staff of the actor's subtree (optionally narrowed to a sub-region), newest first. */
export async function listStaff(
  ctx: ServiceContext,
  actor: Actor,
  query: ListStaffQuery,
): Promise<{ items: StaffView[]; total: number }> {
  requirePermission(actor, 'staff.read');
  const conditions = [scopeFilter(staffUsers.regionCode, actor)];
  if (query.regionCode) conditions.push(regionFilter(staffUsers.regionCode, query.regionCode));
  if (query.role) conditions.push(eq(staffUsers.role, query.role));
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql`(${staffUsers.username} ilike ${like} or ${staffUsers.displayName} ilike ${like})`);
  }
  const where = and(...conditions);
  const rows = await ctx.db
    .select()
    .from(staffUsers)
    .where(where)
    .orderBy(asc(staffUsers.regionCode), asc(staffUsers.username))
    .limit(Math.min(query.limit ?? 50, 200))
    .offset(query.offset ?? 0);
  const [count] = await ctx.db.select({ n: sql<number>`count(*)::int` }).from(staffUsers).where(where);
  const now = ctx.clock.now();
  return { items: rows.map((r) => toStaffView(r, ctx.vault, now)), total: Number(count?.n ?? 0) };
}

/** One staff account; outside the actor's subtree it does not exist (404). */
export async function getStaff(ctx: ServiceContext, actor: Actor, id: string): Promise<StaffView> {
  requirePermission(actor, 'staff.read');
  const row = await findStaffRow(ctx, id);
  assertVisible(actor, row.regionCode, '工作人员账户');
  return toStaffView(row, ctx.vault, ctx.clock.now());
}

export async function findStaffRow(ctx: Pick<ServiceContext, 'db'>, id: string) {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const [row] = uuid.test(id) ? await ctx.db.select().from(staffUsers).where(eq(staffUsers.id, id)) : [];
  if (!row) throw new AppError('NOT_FOUND', '工作人员账户不存在');
  return row;
}
