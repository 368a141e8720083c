import { and, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { getRegion } from '../../domain/regions.ts';
import { certificates, verifications } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { kindName } from '../certificates/certificate-view.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { regionFilter, requirePermission, scopeFilter } from '../scope.ts';

export interface ActivationRow {
  regionCode: string;
  regionName: string;
  /** Null for not-recognized outcomes of codes that named no known certificate. */
  kind: string | null;
  kindName: string | null;
  /** E-certificates first issued (version 1 signed) in the year. */
  issued: number;
  /** Of those, the ones used at least once in the year (any version of the licence: shown, verified…). */
  activated: number;
  /** activated ÷ issued: 年度激活率 (Appendix A item 2). */
  activationRate: number | null;
  /** Officers' "not recognized" outcomes in the year, by the officer's region (Appendix A item 4). */
  notRecognized: number;
}

/** The year's bounds in Beijing time (UTC+8), where the province's year begins and ends. */
function yearBounds(year: number): { start: Date; end: Date } {
  const offset = 8 * 3_600_000;
  return { start: new Date(Date.UTC(year, 0, 1) - offset), end: new Date(Date.UTC(year + 1, 0, 1) - offset) };
}

/**
 * 激活率 per region and kind (R-7.6): e-certificates issued in the year and how many of them were
 * used, with the officers' not-recognized outcomes beside them. Scoped to the actor's regions.
 */
export async function activationStats(
  ctx: ServiceContext,
  actor: Actor,
  q: { year?: number | undefined; regionCode?: string | undefined },
): Promise<{ year: number; rows: ActivationRow[] }> {
  requirePermission(actor, 'certificates.read');
  const year =
    q.year ?? Number(ctx.clock.now().toLocaleString('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }));
  const { start, end } = yearBounds(year);

  const issuedWhere: SQL[] = [
    scopeFilter(certificates.regionCode, actor),
    eq(certificates.version, 1),
    gte(certificates.signedAt, start),
    lt(certificates.signedAt, end),
  ];
  const outcomeWhere: SQL[] = [
    scopeFilter(verifications.regionCode, actor),
    eq(verifications.recognized, false),
    gte(verifications.outcomeAt, start),
    lt(verifications.outcomeAt, end),
  ];
  if (q.regionCode) {
    issuedWhere.push(regionFilter(certificates.regionCode, q.regionCode));
    outcomeWhere.push(regionFilter(verifications.regionCode, q.regionCode));
  }
  // A licence is activated by a use of any of its versions (a changed certificate is still in use).
  const used = sql`exists (
    select 1 from usage_events u join certificates c2 on c2.identifier = u.identifier
    where c2.serial = ${certificates.serial} and u.at >= ${start.toISOString()}::timestamptz and u.at < ${end.toISOString()}::timestamptz)`;
  const issued = await ctx.db
    .select({
      regionCode: certificates.regionCode,
      kind: certificates.kindCode,
      issued: sql<number>`count(*)::int`,
      activated: sql<number>`(count(*) filter (where ${used}))::int`,
    })
    .from(certificates)
    .where(and(...issuedWhere))
    .groupBy(certificates.regionCode, certificates.kindCode);
  const outcomes = await ctx.db
    .select({
      regionCode: verifications.regionCode,
      kind: verifications.kindCode,
      notRecognized: sql<number>`count(*)::int`,
    })
    .from(verifications)
    .where(and(...outcomeWhere))
    .groupBy(verifications.regionCode, verifications.kindCode);

  const catalog = (await currentCatalog(ctx.db)).content;
  const rows = new Map<string, ActivationRow>();
  const rowOf = (regionCode: string, kind: string | null): ActivationRow => {
    const key = `${regionCode}|${kind ?? ''}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        regionCode,
        regionName: getRegion(regionCode)?.fullName ?? regionCode,
        kind,
        kindName: kind === null ? null : kindName(catalog, kind),
        issued: 0,
        activated: 0,
        activationRate: null,
        notRecognized: 0,
      };
      rows.set(key, row);
    }
    return row;
  };
  for (const r of issued) {
    const row = rowOf(r.regionCode, r.kind);
    row.issued = Number(r.issued);
    row.activated = Number(r.activated);
    row.activationRate = row.issued === 0 ? null : row.activated / row.issued;
  }
  for (const r of outcomes) rowOf(r.regionCode, r.kind).notRecognized = Number(r.notRecognized);
  return {
    year,
    rows: [...rows.values()].sort(
      (a, b) => a.regionCode.localeCompare(b.regionCode) || (a.kind ?? '').localeCompare(b.kind ?? ''),
    ),
  };
}
