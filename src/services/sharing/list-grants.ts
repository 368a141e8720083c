import { and, desc, eq } from 'drizzle-orm';
import { shareGrants } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { requirePermission, scopeFilter } from '../scope.ts';
import type { HolderPrincipal } from '../wallet/holder-session.ts';
import { recordHolderRead } from '../wallet/policy.ts';
import { clientNames, type GrantView, toGrantView } from './grant-view.ts';

/** The holder's consent grants, newest first, withdrawn and expired ones included. */
export async function listHolderGrants(
  ctx: ServiceContext,
  holder: HolderPrincipal,
): Promise<{ items: GrantView[] }> {
  const rows = await ctx.db
    .select()
    .from(shareGrants)
    .where(and(eq(shareGrants.holderId, holder.holderId), eq(shareGrants.basis, 'consent')))
    .orderBy(desc(shareGrants.createdAt), desc(shareGrants.id))
    .limit(500);
  await recordHolderRead(ctx, holder.holderId, { what: 'grants', count: rows.length });
  return render(ctx, rows);
}

/** Duty grants (依职能) of the staff member's region subtree, newest first. */
export async function listDutyGrants(ctx: ServiceContext, actor: Actor): Promise<{ items: GrantView[] }> {
  requirePermission(actor, 'certificates.read');
  const rows = await ctx.db
    .select()
    .from(shareGrants)
    .where(and(eq(shareGrants.basis, 'duty'), scopeFilter(shareGrants.regionCode, actor)))
    .orderBy(desc(shareGrants.createdAt), desc(shareGrants.id))
    .limit(500);
  return render(ctx, rows);
}

async function render(
  ctx: ServiceContext,
  rows: (typeof shareGrants.$inferSelect)[],
): Promise<{ items: GrantView[] }> {
  const catalog = (await currentCatalog(ctx.db)).content;
  const names = await clientNames(
    ctx.db,
    rows.map((r) => r.clientId),
  );
  const now = ctx.clock.now();
  return { items: rows.map((r) => toGrantView(r, catalog, names, now)) };
}
