import { eq } from 'drizzle-orm';
import { outages } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertVisible, requirePermission } from '../scope.ts';
import { countRepushedRecords, findOutageRow, outageSystemActor } from './outage-records.ts';
import { assertOutageTransition, nextOutageStatus } from './outage-status.ts';
import { type OutageView, toOutageView } from './outage-view.ts';

/**
 * The department declares its re-push done. By the deadline the outage is `completed`;
 * after it, the completion is recorded (completedAt) but the status stays `overdue`, so the
 * missed deadline remains visible to supervision and the annual evaluation.
 */
export async function completeOutage(ctx: ServiceContext, actor: Actor, id: string): Promise<OutageView> {
  requirePermission(actor, 'certificates.manage');
  const now = ctx.clock.now();

  return ctx.db.transaction(async (tx) => {
    const row = await findOutageRow(tx, id, { forUpdate: true });
    assertVisible(actor, row.regionCode, '故障记录');
    // The daily refresh may not have run since the deadline passed: the outage is overdue
    // all the same, and that is recorded before the completion.
    const pastDeadline = row.deadline !== null && now.getTime() > row.deadline.getTime();
    const becameOverdue = pastDeadline ? nextOutageStatus(row, 'overdue') : null;
    const status = assertOutageTransition({ ...row, status: becameOverdue ?? row.status }, 'complete');
    const repushedRecords = await countRepushedRecords(tx, row);

    const [updated] = await tx
      .update(outages)
      .set({ status, completedAt: now, repushedRecords, updatedAt: now })
      .where(eq(outages.id, row.id))
      .returning();
    if (!updated) throw new Error('update returned no row');
    const meta = { at: now, requestId: ctx.requestId };
    const target = { regionCode: row.regionCode, targetType: 'outage', targetId: row.id };
    if (becameOverdue) {
      await appendAudit(
        tx,
        outageSystemActor(ctx),
        {
          action: 'outage.overdue',
          ...target,
          details: { deadline: row.deadline?.toISOString() ?? null, repushedRecords },
        },
        meta,
      );
    }
    await appendAudit(
      tx,
      actor,
      {
        action: 'outage.complete',
        ...target,
        details: {
          late: status === 'overdue',
          deadline: row.deadline?.toISOString() ?? null,
          repushedRecords,
        },
      },
      meta,
    );
    return toOutageView(updated, repushedRecords, now);
  });
}
