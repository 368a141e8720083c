import { AppError } from '../../errors.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor } from '../context.ts';
import { lockLicence, processRecord } from '../intake/process-record.ts';
import type { IntakeContext, IntakeResult } from '../intake/types.ts';
import { assertVisible, requirePermission } from '../scope.ts';
import { findNonstandardItem, type NonstandardStatus, openRecord, statusNames } from './nonstandard-view.ts';

export interface ResubmitResult extends IntakeResult {
  itemId: string;
  /** `resolved` when the certificate was issued or updated; `open` with the new findings otherwise. */
  itemStatus: NonstandardStatus;
}

/**
 * Submits the corrected record again (补正后重新提交) through the ordinary intake path: it is
 * re-validated and, when standard, sealed and issued (or the licence updated), and the item
 * resolved; otherwise the item stays open with the new findings. One transaction with its
 * audit record.
 */
export async function resubmitNonstandardItem(
  ctx: IntakeContext,
  actor: Actor,
  id: string,
): Promise<ResubmitResult> {
  requirePermission(actor, 'certificates.manage');
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const found = await findNonstandardItem(tx, id);
    assertVisible(actor, found.regionCode, '不规范数据');
    await lockLicence(tx, found.sourceRecordId);
    const row = await findNonstandardItem(tx, id, { forUpdate: true });
    if (row.status !== 'open') {
      throw new AppError(
        'CONFLICT',
        `该不规范数据${statusNames[row.status as NonstandardStatus] ?? row.status}，不能重新提交`,
      );
    }
    // processRecord opens its own transaction; on `tx` that is a savepoint inside this one.
    const result = await processRecord(
      { ...ctx, db: tx },
      { clientId: `staff:${actor.id}`, regionCode: actor.regionCode, actor },
      openRecord(ctx.vault, row),
      { resubmitItemId: row.id },
    );
    const itemStatus = (await findNonstandardItem(tx, id)).status as NonstandardStatus;
    await appendAudit(
      tx,
      actor,
      {
        action: 'nonstandard.resubmit',
        regionCode: row.regionCode,
        targetType: 'nonstandard_item',
        targetId: row.id,
        outcome: itemStatus === 'resolved' ? 'success' : 'failure',
        details: {
          sourceRecordId: row.sourceRecordId,
          sourceVersion: row.sourceVersion,
          result: result.status,
          identifier: result.identifier ?? null,
          codes: [...new Set((result.errors ?? []).map((e) => e.code))],
        },
      },
      { at: now, requestId: ctx.requestId },
    );
    return { ...result, itemId: row.id, itemStatus };
  });
}
