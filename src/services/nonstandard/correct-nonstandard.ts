import { isDeepStrictEqual } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { todayInChina } from '../../domain/dates.ts';
import { validateRecord } from '../../domain/rules/index.ts';
import { AppError } from '../../errors.ts';
import { nonstandardItems } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { IntakeError } from '../intake/types.ts';
import { assertVisible, requirePermission } from '../scope.ts';
import {
  findKind,
  findNonstandardItem,
  maskForAudit,
  type NonstandardDetail,
  type NonstandardStatus,
  openRecord,
  statusNames,
  toDetail,
} from './nonstandard-view.ts';
import { correctablePaths, isRecordValue, readRecordPath, writeRecordPath } from './record-paths.ts';

/** Record path → new value; `null` deletes an optional field. */
export type RecordChanges = Record<string, unknown>;

const shown = (path: string) => (path.length > 80 ? `${path.slice(0, 80)}…` : path);

/**
 * Corrects fields of an open item (补正) and re-validates the record at once: the corrected
 * record and its remaining issues are stored, the item stays open until it is resubmitted.
 * The audit record carries before/after of every changed field, masked where personal.
 */
export async function correctNonstandardItem(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  changes: RecordChanges,
): Promise<NonstandardDetail> {
  requirePermission(actor, 'certificates.manage');
  const entries = Object.entries(changes);
  if (entries.length === 0) throw new AppError('VALIDATION_FAILED', '请至少补正一个字段');
  // Read before the transaction: on PGlite the transaction holds the only connection.
  const catalog = await currentCatalog(ctx.db);
  const now = ctx.clock.now();

  return ctx.db.transaction(async (tx) => {
    // Row lock: a concurrent correction or a newer source push (which replaces the item) waits.
    const row = await findNonstandardItem(tx, id, { forUpdate: true });
    assertVisible(actor, row.regionCode, '不规范数据');
    if (row.status !== 'open') {
      throw new AppError(
        'CONFLICT',
        `该不规范数据${statusNames[row.status as NonstandardStatus] ?? row.status}，只有待补正的数据可以补正`,
      );
    }
    const before = openRecord(ctx.vault, row);
    const kind = findKind(catalog.content, row.kindCode);
    const correctable = new Map(correctablePaths(kind).map((p) => [p.path, p]));
    const face = readRecordPath(before, 'face');

    const refused: IntakeError[] = [];
    for (const [path, value] of entries) {
      const def = correctable.get(path);
      if (!def) {
        // A face key the catalog does not define (UNKNOWN_FIELD) can be removed, nothing more.
        const strayFaceKey =
          path.startsWith('face.') &&
          value === null &&
          typeof face === 'object' &&
          face !== null &&
          Object.hasOwn(face, path.slice('face.'.length));
        if (!strayFaceKey) {
          refused.push({
            field: path,
            code: 'PATH_UNKNOWN',
            message: `“${shown(path)}”不是可补正的字段：只能补正证照数据的颁发、持证主体、有效期字段及${kind?.name ?? '该证照类型'}目录定义的照面字段（face.*）；sourceRecordId、sourceVersion、event、kind、regionCode 以运政系统推送为准`,
          });
        }
        continue;
      }
      if (!isRecordValue(value)) {
        refused.push({
          field: path,
          code: 'VALUE_TYPE',
          message: `${def.label}（${path}）的取值应为文本、数字、文本列表或 null`,
        });
      } else if (value === null && def.required) {
        refused.push({
          field: path,
          code: 'PATH_REQUIRED',
          message: `${def.label}（${path}）为必填项，不能删除`,
        });
      }
    }
    if (refused.length) {
      throw new AppError('VALIDATION_FAILED', `补正内容有误：${refused.map((r) => r.message).join('；')}`, {
        details: { errors: refused },
      });
    }

    const after = structuredClone(before);
    const changed: string[] = [];
    for (const [path, value] of entries) {
      const next = value === null ? undefined : value;
      if (isDeepStrictEqual(readRecordPath(before, path), next)) continue;
      writeRecordPath(after, path, next);
      changed.push(path);
    }
    // Nothing differs from what is stored: no correction happened, so nothing is written.
    if (changed.length === 0) return toDetail(row, before, catalog);

    const issues = validateRecord(after, {
      catalog: catalog.content,
      provinceCode: ctx.config.province.code,
      today: todayInChina(now),
    });
    const [updated] = await tx
      .update(nonstandardItems)
      .set({
        recordEnc: ctx.vault.seal('nonstandard.record', JSON.stringify(after)),
        errors: issues,
        corrections: sql`${nonstandardItems.corrections} + 1`,
        updatedAt: now,
      })
      .where(eq(nonstandardItems.id, row.id))
      .returning();
    await appendAudit(
      tx,
      actor,
      {
        action: 'nonstandard.correct',
        regionCode: row.regionCode,
        targetType: 'nonstandard_item',
        targetId: row.id,
        details: {
          sourceRecordId: row.sourceRecordId,
          sourceVersion: row.sourceVersion,
          changes: changed.map((path) => ({
            field: path,
            before: maskForAudit(path, readRecordPath(before, path), before, kind),
            after: maskForAudit(path, readRecordPath(after, path), after, kind),
          })),
          remainingIssues: issues.length,
          codes: [...new Set(issues.map((i) => i.code))],
        },
      },
      { at: now, requestId: ctx.requestId },
    );
    return toDetail(updated!, after, catalog);
  });
}
