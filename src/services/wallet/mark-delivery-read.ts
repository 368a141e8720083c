import { and, eq } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { deliveries } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { ServiceContext } from '../context.ts';
import type { HolderPrincipal } from './holder-session.ts';
import { holderActor } from './policy.ts';

/**
 * Marks one of the holder's messages read. Idempotent: the first read time is kept. Another
 * holder's message is reported as not found, like one that does not exist.
 */
export async function markDeliveryRead(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  deliveryId: string,
): Promise<{ id: string; readAt: string }> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: deliveries.id, readAt: deliveries.readAt, regionCode: deliveries.regionCode })
      .from(deliveries)
      .where(and(eq(deliveries.id, deliveryId), eq(deliveries.holderId, holder.holderId)))
      .for('update');
    if (!row) throw new AppError('NOT_FOUND', '消息不存在');
    if (row.readAt) return { id: row.id, readAt: row.readAt.toISOString() };
    await tx.update(deliveries).set({ readAt: now }).where(eq(deliveries.id, row.id));
    await appendAudit(
      tx,
      holderActor(ctx, holder.holderId),
      {
        action: 'holder.inbox_read',
        regionCode: ctx.config.province.code,
        targetType: 'delivery',
        targetId: row.id,
      },
      { at: now, requestId: ctx.requestId },
    );
    return { id: row.id, readAt: now.toISOString() };
  });
}
