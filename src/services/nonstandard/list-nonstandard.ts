import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { nonstandardItems } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { regionFilter, requirePermission, scopeFilter } from '../scope.ts';
import {
  isUuid,
  type NonstandardStatus,
  type NonstandardSummary,
  openRecord,
  toSummary,
} from './nonstandard-view.ts';

export interface ListNonstandardQuery {
  status?: NonstandardStatus;
  kind?: string;
  regionCode?: string;
  /** Rule code one of the item's issues carries (PLATE_FORMAT, ID_CHECK_DIGIT …). */
  code?: string;
  limit?: number;
  /** Keyset cursor: the id of the last item of the previous page. */
  before?: string;
}

/**
 * The correction queue of the actor's subtree (不规范数据), newest first. Each row's record is
 * opened only to show the holder and number masked.
 */
export async function listNonstandard(
  ctx: ServiceContext,
  actor: Actor,
  q: ListNonstandardQuery,
): Promise<{ items: NonstandardSummary[]; nextBefore: string | null }> {
  requirePermission(actor, 'certificates.read');
  const conditions: SQL[] = [scopeFilter(nonstandardItems.regionCode, actor)];
  if (q.regionCode) conditions.push(regionFilter(nonstandardItems.regionCode, q.regionCode));
  if (q.status) conditions.push(eq(nonstandardItems.status, q.status));
  if (q.kind) conditions.push(eq(nonstandardItems.kindCode, q.kind));
  if (q.code) {
    conditions.push(sql`${nonstandardItems.errors} @> ${JSON.stringify([{ code: q.code }])}::jsonb`);
  }
  if (q.before) {
    if (!isUuid(q.before)) throw new AppError('VALIDATION_FAILED', '分页游标 before 应为上一页最后一条的 id');
    // Row comparison against the cursor row: stable under equal timestamps, and an unknown
    // cursor simply yields an empty page.
    conditions.push(
      sql`(${nonstandardItems.createdAt}, ${nonstandardItems.id}) < (select c.created_at, c.id from nonstandard_items c where c.id = ${q.before})`,
    );
  }
  const limit = Math.min(q.limit ?? 50, 200);
  const rows = await ctx.db
    .select()
    .from(nonstandardItems)
    .where(and(...conditions))
    .orderBy(desc(nonstandardItems.createdAt), desc(nonstandardItems.id))
    .limit(limit);
  const catalog = (await currentCatalog(ctx.db)).content;
  return {
    items: rows.map((row) => toSummary(row, openRecord(ctx.vault, row), catalog)),
    nextBefore: rows.length === limit ? rows[rows.length - 1]!.id : null,
  };
}
