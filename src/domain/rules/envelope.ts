/**
 * The record envelope: the fields every intake record carries besides its face
 * (REFERENCE §2, GB/T 36903-style metadata), with the same FieldDefinition shape as
 * catalog fields so one type table checks both. `kind` and `face` are handled by the
 * validator itself; top-level keys not listed here (sourceRecordId, sourceVersion, event,
 * reason …) belong to the intake layer and are ignored.
 */
import type { CrossCheck, FieldDefinition } from '../catalog/types.ts';

export const ENVELOPE_FIELDS: readonly FieldDefinition[] = [
  { key: 'certificateNumber', label: '证照编号', type: 'string', required: true, maxLength: 64 },
  { key: 'regionCode', label: '签发部门行政区划代码', type: 'region', required: true },
  { key: 'issuer.name', label: '颁发机构', type: 'string', required: true, maxLength: 200 },
  { key: 'issuer.code', label: '颁发机构代码', type: 'uscc', required: true },
  { key: 'issueDate', label: '颁发日期', type: 'date', required: true, notFuture: true },
  { key: 'holder.name', label: '持证主体', type: 'string', required: true, maxLength: 200 },
  {
    key: 'holder.idType',
    label: '持证主体代码类型',
    type: 'code',
    required: true,
    codeTable: 'holderIdType',
  },
  { key: 'holder.id', label: '持证主体代码', type: 'holderId', required: true, maxLength: 50 },
  { key: 'holder.phone', label: '持证主体手机号码', type: 'phone', required: false },
  // Required unless the kind has no expiry; the validator decides per kind.
  { key: 'validFrom', label: '有效期起始日期', type: 'date', required: true },
  { key: 'validTo', label: '有效期截止日期', type: 'date', required: true },
];

/** Envelope fields whose requiredness follows the kind's validity rule. */
export const VALIDITY_FIELDS: ReadonlySet<string> = new Set(['validFrom', 'validTo']);

/**
 * How holder.id is checked for each 持证主体代码类型: the national numbering standards
 * where one applies, otherwise only the length limit of the field.
 */
export const HOLDER_ID_CHECKS: ReadonlyMap<string, 'citizenId' | 'uscc'> = new Map([
  ['111', 'citizenId'],
  ['001', 'uscc'],
]);

/**
 * Date logic every kind shares. A certificate converted from paper may start (validFrom)
 * before its e-certificate's issueDate, so only the end of validity is ordered against
 * the issue date.
 */
export const COMMON_CROSS_CHECKS: readonly CrossCheck[] = [
  { type: 'dateOrder', earlier: 'validFrom', later: 'validTo', allowEqual: false },
  { type: 'dateOrder', earlier: 'issueDate', later: 'validTo', allowEqual: false },
];

/** Labels of record paths outside `face`, for messages. */
export const ENVELOPE_LABELS: ReadonlyMap<string, string> = new Map([
  ['kind', '证照类型'],
  ['face', '照面信息'],
  ['issuer', '颁发机构信息'],
  ['holder', '持证主体信息'],
  ...ENVELOPE_FIELDS.map((f): [string, string] => [f.key, f.label]),
]);
