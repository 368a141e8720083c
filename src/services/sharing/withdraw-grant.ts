import { and, eq } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { shareGrants } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertVisible, requirePermission } from '../scope.ts';
import type { HolderPrincipal } from '../wallet/holder-session.ts';
import { holderActor } from '../wallet/policy.ts';
import { clientNames, type GrantView, toGrantView } from './grant-view.ts';

type GrantRow = typeof shareGrants.$inferSelect;

/** The holder withdraws consent; reads are refused from this moment. Withdrawing twice keeps the first time. */
export async function withdrawHolderGrant(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  grantId: string,
): Promise<GrantView> {
  return withdraw(ctx, holderActor(ctx, holder.holderId), 'share.grant_withdraw', async (tx) => {
    const [row] = await tx
      .select()
      .from(shareGrants)
      .where(
        and(
          eq(shareGrants.id, grantId),
          eq(shareGrants.holderId, holder.holderId),
          eq(shareGrants.basis, 'consent'),
        ),
      )
      .for('update');
    return row;
  });
}

/** A department withdraws a duty grant of its region subtree. */
export async function withdrawDutyGrant(
  ctx: ServiceContext,
  actor: Actor,
  grantId: string,
): Promise<GrantView> {
  requirePermission(actor, 'certificates.manage');
  return withdraw(ctx, actor, 'share.duty_grant_withdraw', async (tx) => {
    const [row] = await tx
      .select()
      .from(shareGrants)
      .where(and(eq(shareGrants.id, grantId), eq(shareGrants.basis, 'duty')))
      .for('update');
    if (row) assertVisible(actor, row.regionCode, '授权');
    return row;
  });
}

async function withdraw(
  ctx: ServiceContext,
  actor: Actor,
  action: 'share.grant_withdraw' | 'share.duty_grant_withdraw',
  find: (tx: Db) => Promise<GrantRow | undefined>,
): Promise<GrantView> {
  const now = ctx.clock.now();
  const row = await ctx.db.transaction(async (tx) => {
    const found = await find(tx);
    if (!found) throw new AppError('NOT_FOUND', '授权不存在');
    if (found.withdrawnAt) return found;
    await tx
      .update(shareGrants)
      .set({ withdrawnAt: now, withdrawnBy: actor.id })
      .where(eq(shareGrants.id, found.id));
    await appendAudit(
      tx,
      actor,
      { action, regionCode: found.regionCode, targetType: 'share_grant', targetId: found.id },
      { at: now, requestId: ctx.requestId },
    );
    return { ...found, withdrawnAt: now, withdrawnBy: actor.id };
  });
  const catalog = (await currentCatalog(ctx.db)).content;
  return toGrantView(row, catalog, await clientNames(ctx.db, [row.clientId]), now);
}
