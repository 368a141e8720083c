import { and, eq, type SQL, sql } from 'drizzle-orm';
import { getRegion } from '../../domain/regions.ts';
import { licences, nonstandardItems } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { kindName } from '../certificates/certificate-view.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { regionFilter, requirePermission, scopeFilter } from '../scope.ts';

export interface CoverageRow {
  regionCode: string;
  regionName: string;
  kind: string;
  kindName: string;
  /** Valid certificates known: paper (baseline, not yet electronic) + electronic in force. */
  knownValid: number;
  paperValid: number;
  /** Standard e-certificates in force (状态 有效). */
  electronicValid: number;
  suspended: number;
  /** Open items of the non-standard queue. */
  nonstandardBacklog: number;
  /** electronicValid ÷ knownValid; feeds 制证率 (Appendix A item 1). */
  electronicRate: number | null;
}

/**
 * Coverage per region and kind: how many valid certificates exist and how many of them
 * have a standard e-certificate, with the non-standard backlog beside them.
 */
export async function coverage(
  ctx: ServiceContext,
  actor: Actor,
  q: { regionCode?: string; kind?: string },
): Promise<{
  rows: CoverageRow[];
  totals: Omit<CoverageRow, 'regionCode' | 'regionName' | 'kind' | 'kindName'>;
}> {
  requirePermission(actor, 'certificates.read');
  const lic: SQL[] = [scopeFilter(licences.regionCode, actor)];
  const ns: SQL[] = [scopeFilter(nonstandardItems.regionCode, actor), eq(nonstandardItems.status, 'open')];
  if (q.regionCode) {
    lic.push(regionFilter(licences.regionCode, q.regionCode));
    ns.push(regionFilter(nonstandardItems.regionCode, q.regionCode));
  }
  if (q.kind) {
    lic.push(eq(licences.kindCode, q.kind));
    ns.push(eq(nonstandardItems.kindCode, q.kind));
  }
  const states = await ctx.db
    .select({
      regionCode: licences.regionCode,
      kind: licences.kindCode,
      paper: sql<number>`count(*) filter (where ${licences.state} = 'paper')::int`,
      valid: sql<number>`count(*) filter (where ${licences.state} = 'valid')::int`,
      suspended: sql<number>`count(*) filter (where ${licences.state} = 'suspended')::int`,
    })
    .from(licences)
    .where(and(...lic))
    .groupBy(licences.regionCode, licences.kindCode);
  const backlog = await ctx.db
    .select({
      regionCode: nonstandardItems.regionCode,
      kind: nonstandardItems.kindCode,
      open: sql<number>`count(*)::int`,
    })
    .from(nonstandardItems)
    .where(and(...ns))
    .groupBy(nonstandardItems.regionCode, nonstandardItems.kindCode);

  const catalog = (await currentCatalog(ctx.db)).content;
  const map = new Map<string, CoverageRow>();
  const row = (regionCode: string, kind: string): CoverageRow => {
    const key = `${regionCode}|${kind}`;
    let r = map.get(key);
    if (!r) {
      r = {
        regionCode,
        regionName: getRegion(regionCode)?.fullName ?? regionCode,
        kind,
        kindName: kindName(catalog, kind),
        knownValid: 0,
        paperValid: 0,
        electronicValid: 0,
        suspended: 0,
        nonstandardBacklog: 0,
        electronicRate: null,
      };
      map.set(key, r);
    }
    return r;
  };
  for (const s of states) {
    const r = row(s.regionCode, s.kind);
    r.paperValid = Number(s.paper);
    r.electronicValid = Number(s.valid);
    r.suspended = Number(s.suspended);
    r.knownValid = r.paperValid + r.electronicValid;
  }
  for (const b of backlog) row(b.regionCode, b.kind).nonstandardBacklog = Number(b.open);
  const rows = [...map.values()].sort(
    (a, b) => a.regionCode.localeCompare(b.regionCode) || a.kind.localeCompare(b.kind),
  );
  const totals = {
    knownValid: 0,
    paperValid: 0,
    electronicValid: 0,
    suspended: 0,
    nonstandardBacklog: 0,
    electronicRate: null as number | null,
  };
  for (const r of rows) {
    r.electronicRate = r.knownValid ? r.electronicValid / r.knownValid : null;
    totals.knownValid += r.knownValid;
    totals.paperValid += r.paperValid;
    totals.electronicValid += r.electronicValid;
    totals.suspended += r.suspended;
    totals.nonstandardBacklog += r.nonstandardBacklog;
  }
  totals.electronicRate = totals.knownValid ? totals.electronicValid / totals.knownValid : null;
  return { rows, totals };
}
