import { eq } from 'drizzle-orm';
import { repushDeadline } from '../../domain/calendar.ts';
import { dateInTimeZone } from '../../domain/dates.ts';
import { outages } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { ensureHolidayYears } from '../calendar/holiday-years.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertVisible, requirePermission } from '../scope.ts';
import { assertNotFuture, invalidField, parseInstant } from './outage-input.ts';
import { countRepushedRecords, findOutageRow, outageSystemActor } from './outage-records.ts';
import { assertOutageTransition, beijingTime } from './outage-status.ts';
import { type OutageView, toOutageView } from './outage-view.ts';

export interface ClearOutageInput {
  /** When the fault was cleared: ISO 8601 with offset, or a Date. */
  clearedAt: string | Date;
}

/**
 * The department reports the fault cleared. From then it has until the end of the 2nd
 * working day after the clearing day (Beijing time; holidays and 调休 make-up days respected)
 * to re-push what it could not push. For a year the working-day calendar does not know, the
 * calendar's CALENDAR_YEAR_UNKNOWN stands: no deadline is guessed and nothing is written.
 */
export async function clearOutage(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  input: ClearOutageInput,
): Promise<OutageView> {
  requirePermission(actor, 'certificates.manage');
  const now = ctx.clock.now();
  const clearedAt = parseInstant(input.clearedAt, 'clearedAt', '故障排除时间');
  // The deadline falls at most a few weeks after the clearing day: this year, or next year
  // for a clearing in December. A year loaded on another API node is registered here first.
  const clearingYear = Number(dateInTimeZone(clearedAt).slice(0, 4));
  await ensureHolidayYears(ctx.db, [clearingYear, clearingYear + 1]);

  return ctx.db.transaction(async (tx) => {
    const row = await findOutageRow(tx, id, { forUpdate: true });
    assertVisible(actor, row.regionCode, '故障记录');
    const cleared = assertOutageTransition(row, 'clear');
    assertNotFuture(clearedAt, now, 'clearedAt', '故障排除时间');
    if (clearedAt.getTime() < row.startedAt.getTime()) {
      throw invalidField(
        'clearedAt',
        'BEFORE_START',
        `故障排除时间（clearedAt）不能早于故障开始时间 ${beijingTime(row.startedAt)}（北京时间）`,
      );
    }
    const deadline = repushDeadline(clearedAt);
    // A clearing reported after its own deadline is overdue at once; waiting for the next
    // refresh would show a running deadline that has already passed.
    const late = deadline.getTime() < now.getTime();
    const status = late ? assertOutageTransition({ ...row, status: cleared, clearedAt }, 'overdue') : cleared;
    const repushedRecords = await countRepushedRecords(tx, { ...row, clearedAt });

    const [updated] = await tx
      .update(outages)
      .set({ clearedAt, deadline, status, repushedRecords, updatedAt: now })
      .where(eq(outages.id, row.id))
      .returning();
    if (!updated) throw new Error('update returned no row');
    const meta = { at: now, requestId: ctx.requestId };
    const target = { regionCode: row.regionCode, targetType: 'outage', targetId: row.id };
    await appendAudit(
      tx,
      actor,
      {
        action: 'outage.clear',
        ...target,
        details: {
          clearedAt: clearedAt.toISOString(),
          deadline: deadline.toISOString(),
          deadlineDate: dateInTimeZone(deadline),
        },
      },
      meta,
    );
    if (late) {
      await appendAudit(
        tx,
        outageSystemActor(ctx),
        {
          action: 'outage.overdue',
          ...target,
          details: { deadline: deadline.toISOString(), repushedRecords },
        },
        meta,
      );
    }
    return toOutageView(updated, repushedRecords, now);
  });
}
