import { and, asc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { getRegion } from '../../domain/regions.ts';
import { nonstandardItems } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { regionFilter, requirePermission, scopeFilter } from '../scope.ts';
import { findKind } from './nonstandard-view.ts';

export interface NonstandardStatsQuery {
  regionCode?: string;
  kind?: string;
  /** Calendar year (Beijing time) in which the items were created; all years when absent. */
  year?: number;
}

export interface NonstandardCounts {
  /** Backlog: items still waiting for correction. */
  open: number;
  resolved: number;
  replaced: number;
  /** resolved ÷ (resolved + open), rounded to 4 places; null when both are 0. */
  correctionRate: number | null;
}

export interface NonstandardStats {
  year: number | null;
  groups: (NonstandardCounts & { regionCode: string; regionName: string; kind: string; kindName: string })[];
  totals: NonstandardCounts;
}

/**
 * Backlog and correction rate of the queue, per region code and kind, over the items
 * created in the period. An item replaced by a newer push is neither a backlog nor a
 * correction; it is counted apart.
 */
export async function nonstandardStats(
  ctx: ServiceContext,
  actor: Actor,
  q: NonstandardStatsQuery,
): Promise<NonstandardStats> {
  requirePermission(actor, 'certificates.read');
  const conditions: SQL[] = [scopeFilter(nonstandardItems.regionCode, actor)];
  if (q.regionCode) conditions.push(regionFilter(nonstandardItems.regionCode, q.regionCode));
  if (q.kind) conditions.push(eq(nonstandardItems.kindCode, q.kind));
  if (q.year !== undefined) {
    conditions.push(gte(nonstandardItems.createdAt, new Date(`${q.year}-01-01T00:00:00+08:00`)));
    conditions.push(lt(nonstandardItems.createdAt, new Date(`${q.year + 1}-01-01T00:00:00+08:00`)));
  }
  const count = (status: string) =>
    sql<number>`(count(*) filter (where ${nonstandardItems.status} = ${status}))::int`;
  const rows = await ctx.db
    .select({
      regionCode: nonstandardItems.regionCode,
      kind: nonstandardItems.kindCode,
      open: count('open'),
      resolved: count('resolved'),
      replaced: count('replaced'),
    })
    .from(nonstandardItems)
    .where(and(...conditions))
    .groupBy(nonstandardItems.regionCode, nonstandardItems.kindCode)
    .orderBy(asc(nonstandardItems.regionCode), asc(nonstandardItems.kindCode));
  const catalog = (await currentCatalog(ctx.db)).content;
  const totals = { open: 0, resolved: 0, replaced: 0 };
  const groups = rows.map((r) => {
    const c = { open: Number(r.open), resolved: Number(r.resolved), replaced: Number(r.replaced) };
    totals.open += c.open;
    totals.resolved += c.resolved;
    totals.replaced += c.replaced;
    return {
      regionCode: r.regionCode,
      regionName: getRegion(r.regionCode)?.fullName ?? r.regionCode,
      kind: r.kind,
      kindName: findKind(catalog, r.kind)?.name ?? r.kind,
      ...c,
      correctionRate: correctionRate(c),
    };
  });
  return { year: q.year ?? null, groups, totals: { ...totals, correctionRate: correctionRate(totals) } };
}

export function correctionRate(c: { open: number; resolved: number }): number | null {
  const denominator = c.resolved + c.open;
  return denominator === 0 ? null : Math.round((c.resolved / denominator) * 10_000) / 10_000;
}
