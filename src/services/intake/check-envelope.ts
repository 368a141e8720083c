import type { CatalogContent } from '../../domain/catalog/types.ts';
import { type IntakeEvent, intakeEvents } from '../../domain/lifecycle.ts';
import { getRegion, isWithinRegion } from '../../domain/regions.ts';
import type { IntakeEnvelope, IntakeError } from './types.ts';

const SOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

/**
 * The part of a record that must be right before anything can be kept: who it is (sourceRecordId,
 * sourceVersion), what happened (event), which kind and region. A record failing here is
 * `rejected` and nothing is written; problems inside the certificate data are not checked here
 * (they make a record `nonstandard`, kept for correction).
 */
export function checkEnvelope(
  raw: unknown,
  ctx: { catalog: CatalogContent; sourceRegionCode: string },
): { ok: true; envelope: IntakeEnvelope } | { ok: false; errors: IntakeError[] } {
  const errors: IntakeError[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ field: '', code: 'RECORD_SHAPE', message: '记录必须是 JSON 对象' }] };
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.sourceRecordId !== 'string' || !SOURCE_ID.test(r.sourceRecordId)) {
    errors.push({
      field: 'sourceRecordId',
      code: r.sourceRecordId === undefined ? 'REQUIRED' : 'FORMAT',
      message: '源记录标识（sourceRecordId）必填，1–64 位字母、数字或 . _ : / -',
    });
  }
  if (
    typeof r.sourceVersion !== 'number' ||
    !Number.isInteger(r.sourceVersion) ||
    r.sourceVersion < 1 ||
    r.sourceVersion > 2_147_483_647
  ) {
    errors.push({
      field: 'sourceVersion',
      code: r.sourceVersion === undefined ? 'REQUIRED' : 'TYPE',
      message: '源记录版本（sourceVersion）必填，应为正整数',
    });
  }
  if (typeof r.event !== 'string' || !(intakeEvents as readonly string[]).includes(r.event)) {
    errors.push({
      field: 'event',
      code: r.event === undefined ? 'REQUIRED' : 'EVENT_UNKNOWN',
      message: `业务事件（event）应为 ${intakeEvents.join('、')} 之一`,
    });
  }
  if (typeof r.kind !== 'string' || !ctx.catalog.kinds.some((k) => k.code === r.kind)) {
    errors.push({
      field: 'kind',
      code: r.kind === undefined ? 'REQUIRED' : 'KIND_UNKNOWN',
      message: '证照类型代码（kind）不在证照目录中，应为 21 位部颁证照类型代码',
    });
  }
  if (typeof r.regionCode !== 'string' || !getRegion(r.regionCode)) {
    errors.push({
      field: 'regionCode',
      code: r.regionCode === undefined ? 'REQUIRED' : 'REGION_UNKNOWN',
      message: '行政区划代码（regionCode）必填，且须为现行 GB/T 2260 代码',
    });
  } else if (!isWithinRegion(r.regionCode, ctx.sourceRegionCode)) {
    errors.push({
      field: 'regionCode',
      code: 'REGION_OUTSIDE_CLIENT',
      message: `行政区划 ${r.regionCode} 不在本接入系统的辖区（${ctx.sourceRegionCode}）内`,
    });
  }
  if (r.reason !== undefined && (typeof r.reason !== 'string' || r.reason.length > 500)) {
    errors.push({ field: 'reason', code: 'TYPE', message: '原因（reason）应为不超过 500 字的文本' });
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    envelope: {
      sourceRecordId: r.sourceRecordId as string,
      sourceVersion: r.sourceVersion as number,
      event: r.event as IntakeEvent,
      kind: r.kind as string,
      regionCode: r.regionCode as string,
      ...(typeof r.reason === 'string' ? { reason: r.reason } : {}),
    },
  };
}
