import { and, eq, isNull } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { verifications } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { requirePermission } from '../scope.ts';

/**
 * The officer's outcome of a check (亮证认可): recognized or not, with the reason when not.
 * Only the officer who checked records it, once; anyone else's check is "not found".
 * A "not recognized" outcome is what Appendix A item 4 counts.
 */
export async function recordOutcome(
  ctx: ServiceContext,
  actor: Actor,
  verificationId: string,
  input: { recognized: boolean; reason?: string | undefined },
): Promise<{ verificationId: string; recognized: boolean; reason: string | null; recordedAt: string }> {
  requirePermission(actor, 'certificates.verify');
  const reason = input.reason?.trim() || null;
  if (!input.recognized && reason === null) {
    throw new AppError('VALIDATION_FAILED', '未认可时须填写原因', {
      details: { field: '/reason' },
    });
  }
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(verifications)
      .where(and(eq(verifications.id, verificationId), eq(verifications.officerId, actor.id)))
      .for('update');
    if (!row) throw new AppError('NOT_FOUND', '查验记录不存在');
    const updated = await tx
      .update(verifications)
      .set({ recognized: input.recognized, outcomeReason: reason, outcomeAt: now })
      .where(and(eq(verifications.id, verificationId), isNull(verifications.outcomeAt)))
      .returning({ id: verifications.id });
    if (updated.length === 0)
      throw new AppError('VERIFICATION_OUTCOME_RECORDED', '该次查验已记录认可结果，不能修改');
    await appendAudit(
      tx,
      actor,
      {
        action: 'verification.outcome',
        regionCode: row.regionCode,
        targetType: 'verification',
        targetId: verificationId,
        details: { recognized: input.recognized, identifier: row.identifier },
      },
      { at: now, requestId: ctx.requestId },
    );
    return {
      verificationId,
      recognized: input.recognized,
      reason,
      recordedAt: now.toISOString(),
    };
  });
}
