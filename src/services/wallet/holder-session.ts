import { and, eq, isNull } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { holderSessions, holders } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { ServiceContext } from '../context.ts';
import { holderActor, holderTokenHash, walletPolicy } from './policy.ts';

/** A signed-in holder. Carries no staff role or permission: wallet services check `holderId` only. */
export interface HolderPrincipal {
  holderId: string;
  idType: string;
}

/** Only refresh last_seen_at once a minute, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/** Resolves a wallet bearer token. A session ends at 7 days, after 30 idle minutes, or at logout. */
export async function authenticateHolder(ctx: ServiceContext, token: string): Promise<HolderPrincipal> {
  const now = ctx.clock.now();
  const tokenHash = holderTokenHash(token);
  const [row] = await ctx.db
    .select({ session: holderSessions, idType: holders.idType })
    .from(holderSessions)
    .innerJoin(holders, eq(holders.id, holderSessions.holderId))
    .where(and(eq(holderSessions.tokenHash, tokenHash), isNull(holderSessions.revokedAt)));
  if (
    !row ||
    row.session.expiresAt <= now ||
    now.getTime() - row.session.lastSeenAt.getTime() > walletPolicy.sessionIdleMs
  ) {
    throw new AppError('UNAUTHENTICATED', '登录已失效，请重新获取验证码登录');
  }
  if (now.getTime() - row.session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await ctx.db
      .update(holderSessions)
      .set({ lastSeenAt: now })
      .where(eq(holderSessions.tokenHash, tokenHash));
  }
  return { holderId: row.session.holderId, idType: row.idType };
}

export async function logoutHolder(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  token: string,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(holderSessions)
      .set({ revokedAt: now })
      .where(and(eq(holderSessions.tokenHash, holderTokenHash(token)), isNull(holderSessions.revokedAt)));
    await appendAudit(
      tx,
      holderActor(ctx, holder.holderId),
      {
        action: 'holder.logout',
        regionCode: ctx.config.province.code,
        targetType: 'holder',
        targetId: holder.holderId,
      },
      { at: now, requestId: ctx.requestId },
    );
  });
}
