import { and, count, desc, eq, isNull } from 'drizzle-orm';
import { deliveries } from '../../store/schema.ts';
import type { ServiceContext } from '../context.ts';
import type { HolderPrincipal } from './holder-session.ts';
import { recordHolderRead } from './policy.ts';

export interface InboxMessage {
  id: string;
  identifier: string;
  /** The event that caused the message: issue, review, change, revoke … */
  kind: string;
  title: string;
  regionCode: string;
  createdAt: string;
  read: boolean;
  readAt: string | null;
}

/** The holder's inbox (运证通消息), newest first. */
export async function listInbox(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  q: { limit?: number } = {},
): Promise<{ items: InboxMessage[]; unread: number }> {
  const rows = await ctx.db
    .select()
    .from(deliveries)
    .where(eq(deliveries.holderId, holder.holderId))
    .orderBy(desc(deliveries.createdAt), desc(deliveries.outboxId))
    .limit(Math.min(q.limit ?? 50, 200));
  const [unread] = await ctx.db
    .select({ n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.holderId, holder.holderId), isNull(deliveries.readAt)));
  await recordHolderRead(ctx, holder.holderId, { what: 'inbox', count: rows.length });
  return {
    items: rows.map((r) => ({
      id: r.id,
      identifier: r.identifier,
      kind: r.kind,
      title: r.title,
      regionCode: r.regionCode,
      createdAt: r.createdAt.toISOString(),
      read: r.readAt !== null,
      readAt: r.readAt?.toISOString() ?? null,
    })),
    unread: unread?.n ?? 0,
  };
}
