import { eq } from 'drizzle-orm';
import { isWithinRegion, requireRegion } from '../../domain/regions.ts';
import { AppError } from '../../errors.ts';
import { outages, staffUsers } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertActsIn, requirePermission } from '../scope.ts';
import { assertNotFuture, parseInstant, requiredText } from './outage-input.ts';
import { type OutageView, toOutageView } from './outage-view.ts';

export interface ReportOutageInput {
  regionCode: string;
  cause: string;
  /** When pushing stopped: ISO 8601 with offset, or a Date. */
  startedAt: string | Date;
  /** The department that cannot push; defaults to the reporting account's department. */
  department?: string;
}

/**
 * A department reports that it cannot push to the platform. The outage starts
 * `ongoing`; its re-push deadline only exists once the fault is cleared.
 */
export async function reportOutage(
  ctx: ServiceContext,
  actor: Actor,
  input: ReportOutageInput,
): Promise<OutageView> {
  requirePermission(actor, 'certificates.manage');
  const region = requireRegion(input.regionCode);
  if (!isWithinRegion(region.code, ctx.config.province.code)) {
    throw new AppError('REGION_OUTSIDE_SCOPE', `区划 ${region.code} 不属于本省`, {
      details: { field: 'regionCode' },
    });
  }
  assertActsIn(actor, region.code);
  const cause = requiredText(input.cause, 'cause', '故障原因', 500);
  const givenDepartment =
    input.department === undefined || input.department.trim() === ''
      ? null
      : requiredText(input.department, 'department', '无法推送的部门', 100);
  const now = ctx.clock.now();
  const startedAt = parseInstant(input.startedAt, 'startedAt', '故障开始时间');
  assertNotFuture(startedAt, now, 'startedAt', '故障开始时间');

  return ctx.db.transaction(async (tx) => {
    let department = givenDepartment;
    if (!department && actor.type === 'staff') {
      const [me] = await tx
        .select({ department: staffUsers.department })
        .from(staffUsers)
        .where(eq(staffUsers.id, actor.id));
      department = me?.department ?? null;
    }
    const [row] = await tx
      .insert(outages)
      .values({
        regionCode: region.code,
        department,
        cause,
        startedAt,
        status: 'ongoing',
        reportedBy: actor.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    await appendAudit(
      tx,
      actor,
      {
        action: 'outage.report',
        regionCode: row.regionCode,
        targetType: 'outage',
        targetId: row.id,
        details: { cause, department, startedAt: startedAt.toISOString() },
      },
      { at: now, requestId: ctx.requestId },
    );
    return toOutageView(row, 0, now);
  });
}
