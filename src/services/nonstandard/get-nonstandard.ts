import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertVisible, requirePermission } from '../scope.ts';
import { findNonstandardItem, type NonstandardDetail, openRecord, toDetail } from './nonstandard-view.ts';

/**
 * The full record of one item, for the staff who correct it. Reading it shows personal data
 * in clear, so the read is audited before the data leaves; outside the actor's subtree the
 * item does not exist and nothing is recorded as read.
 */
export async function getNonstandardItem(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
): Promise<NonstandardDetail> {
  requirePermission(actor, 'certificates.manage');
  const row = await findNonstandardItem(ctx.db, id);
  assertVisible(actor, row.regionCode, '不规范数据');
  const detail = toDetail(row, openRecord(ctx.vault, row), await currentCatalog(ctx.db));
  await ctx.db.transaction((tx) =>
    appendAudit(
      tx,
      actor,
      {
        action: 'nonstandard.read',
        regionCode: row.regionCode,
        targetType: 'nonstandard_item',
        targetId: row.id,
        details: { sourceRecordId: row.sourceRecordId, sourceVersion: row.sourceVersion, status: row.status },
      },
      { at: ctx.clock.now(), requestId: ctx.requestId },
    ),
  );
  return detail;
}
