/**
 * The standard check (不规范数据校验, R-3.3 / R-7.5): every inbound record is checked
 * against its kind's catalog entry and all problems are returned at once, each with the
 * field path and a Chinese message, so a correction can fix them in one pass.
 *
 * Table-driven: field checks come from FIELD_TYPE_CHECKS by the field's type, cross-field
 * checks from the kind's `crossChecks` plus COMMON_CROSS_CHECKS. Nothing here branches on
 * a kind code. It never throws, whatever the input: a record is untrusted data.
 */
import type { CatalogContent, FieldDefinition, KindDefinition } from '../catalog/types.ts';
import { todayInChina } from '../dates.ts';
import { readPath, runCrossCheck } from './crossChecks.ts';
import { COMMON_CROSS_CHECKS, ENVELOPE_FIELDS, ENVELOPE_LABELS, VALIDITY_FIELDS } from './envelope.ts';
import { FIELD_TYPE_CHECKS, type FieldCheckEnv, isPlainObject } from './fieldTypes.ts';
import type { ValidationContext, ValidationIssue } from './types.ts';

export function validateRecord(record: unknown, ctx: ValidationContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  try {
    collectIssues(record, ctx, issues);
  } catch {
    // Only a malformed catalog can get here (the default catalog is fuzzed not to); the
    // record must still not pass, so the failure becomes an issue.
    issues.push({
      field: '',
      code: 'CATALOG_INVALID',
      message: '校验过程出现异常，证照目录可能配置有误，请联系省级管理员',
    });
  }
  return issues;
}

function collectIssues(record: unknown, ctx: ValidationContext, issues: ValidationIssue[]): void {
  if (!isPlainObject(record)) {
    issues.push({ field: '', code: 'RECORD_SHAPE', message: '证照数据应为JSON对象' });
    return;
  }
  const today = ctx.today ?? todayInChina();
  const kind = checkKind(record, ctx.catalog, issues);
  const env: FieldCheckEnv = {
    codeTables: ctx.catalog.codeTables,
    provinceCode: ctx.provinceCode,
    today,
    record,
    regex: compiledPattern,
  };

  const badContainers = new Set<string>();
  for (const def of ENVELOPE_FIELDS) {
    const container = def.key.includes('.') ? def.key.slice(0, def.key.indexOf('.')) : undefined;
    if (container !== undefined) {
      const value = Object.hasOwn(record, container) ? record[container] : undefined;
      if (value !== undefined && value !== null && !isPlainObject(value)) {
        if (!badContainers.has(container)) {
          badContainers.add(container);
          issues.push(typeIssue(container, `${ENVELOPE_LABELS.get(container) ?? container}应为JSON对象`));
        }
        continue;
      }
    }
    const required = VALIDITY_FIELDS.has(def.key)
      ? kind !== undefined && 'years' in kind.validity
      : def.required;
    checkField(def.key, { ...def, required }, readPath(record, def.key), env, issues);
  }

  if (kind) {
    checkHolderIdType(record, kind, ctx.catalog, issues);
    checkNumber(record, kind, issues);
    checkFace(record, kind, env, issues);
  }

  const label = (path: string) => labelOf(path, kind);
  for (const check of [...COMMON_CROSS_CHECKS, ...(kind?.crossChecks ?? [])]) {
    issues.push(...runCrossCheck(check, { record, today, label }));
  }
}

function checkKind(
  record: Record<string, unknown>,
  catalog: CatalogContent,
  issues: ValidationIssue[],
): KindDefinition | undefined {
  const code = Object.hasOwn(record, 'kind') ? record.kind : undefined;
  if (code === undefined || code === null || code === '') {
    issues.push({ field: 'kind', code: 'REQUIRED', message: '证照类型为必填项，不能为空' });
    return undefined;
  }
  if (typeof code !== 'string') {
    issues.push(typeIssue('kind', '证照类型的数据类型不正确，应为21位证照类型代码文本'));
    return undefined;
  }
  const kind = kindsOf(catalog).get(code);
  if (!kind) {
    issues.push({ field: 'kind', code: 'KIND_UNKNOWN', message: '证照类型代码不在证照目录中' });
  }
  return kind;
}

function checkHolderIdType(
  record: Record<string, unknown>,
  kind: KindDefinition,
  catalog: CatalogContent,
  issues: ValidationIssue[],
): void {
  const idType = readPath(record, 'holder.idType');
  if (typeof idType !== 'string' || kind.holderIdTypes.includes(idType)) return;
  const table = Object.hasOwn(catalog.codeTables, 'holderIdType')
    ? catalog.codeTables.holderIdType
    : undefined;
  // An unknown code was already reported as CODE_TABLE; only a known but unfit type is new.
  if (!table?.entries.some((e) => e.code === idType)) return;
  issues.push({
    field: 'holder.idType',
    code: 'HOLDER_ID_TYPE',
    message: `${kind.name}的持证主体代码类型不能为“${idType}”，应为${kind.holderIdTypes.join('、')}之一`,
  });
}

function checkNumber(record: Record<string, unknown>, kind: KindDefinition, issues: ValidationIssue[]): void {
  const number = readPath(record, 'certificateNumber');
  if (typeof number !== 'string' || number.trim() === '') return;
  const re = compiledPattern(kind.numberPattern);
  if (!re) {
    issues.push({
      field: 'certificateNumber',
      code: 'CATALOG_INVALID',
      message: `${kind.name}的编号规则在证照目录中配置有误，请联系省级管理员`,
    });
  } else if (!re.test(number)) {
    issues.push({
      field: 'certificateNumber',
      code: 'NUMBER_PATTERN',
      message: `证照编号不符合${kind.name}的编号规则：${kind.numberDescription}`,
    });
  }
}

function checkFace(
  record: Record<string, unknown>,
  kind: KindDefinition,
  env: FieldCheckEnv,
  issues: ValidationIssue[],
): void {
  const raw = Object.hasOwn(record, 'face') ? record.face : undefined;
  // A missing face is reported field by field, so the correction form shows each one.
  const face = raw === undefined || raw === null ? {} : raw;
  if (!isPlainObject(face)) {
    issues.push(typeIssue('face', '照面信息应为JSON对象'));
    return;
  }
  const known = new Set<string>();
  for (const def of kind.fields) {
    known.add(def.key);
    const value = Object.hasOwn(face, def.key) ? face[def.key] : undefined;
    checkField(`face.${def.key}`, def, value, env, issues);
  }
  for (const key of Object.keys(face)) {
    if (known.has(key)) continue;
    issues.push({
      field: `face.${key}`,
      code: 'UNKNOWN_FIELD',
      message: `照面信息中的字段“${shortKey(key)}”不在${kind.name}的目录定义中`,
    });
  }
}

function checkField(
  path: string,
  def: FieldDefinition,
  value: unknown,
  env: FieldCheckEnv,
  issues: ValidationIssue[],
): void {
  if (!isPresent(value)) {
    if (def.required)
      issues.push({ field: path, code: 'REQUIRED', message: `${def.label}为必填项，不能为空` });
    return;
  }
  const check = Object.hasOwn(FIELD_TYPE_CHECKS, def.type) ? FIELD_TYPE_CHECKS[def.type] : undefined;
  if (!check) {
    issues.push({
      field: path,
      code: 'CATALOG_INVALID',
      message: `${def.label}的字段类型在证照目录中配置有误，请联系省级管理员`,
    });
    return;
  }
  for (const finding of check(value, def, env)) {
    issues.push({ field: path + (finding.suffix ?? ''), code: finding.code, message: finding.message });
  }
}

/** Absent means undefined, null, blank text or an empty list. */
function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function labelOf(path: string, kind: KindDefinition | undefined): string {
  if (path.startsWith('face.') && kind) {
    const key = path.slice('face.'.length);
    const def = kind.fields.find((f) => f.key === key);
    if (def) return def.label;
  }
  return ENVELOPE_LABELS.get(path) ?? path;
}

function typeIssue(field: string, message: string): ValidationIssue {
  return { field, code: 'TYPE', message };
}

function shortKey(key: string): string {
  const chars = [...key];
  return chars.length > 32 ? `${chars.slice(0, 32).join('')}…` : key;
}

const kindMaps = new WeakMap<CatalogContent, Map<string, KindDefinition>>();

function kindsOf(catalog: CatalogContent): Map<string, KindDefinition> {
  let map = kindMaps.get(catalog);
  if (!map) {
    map = new Map(catalog.kinds.map((k) => [k.code, k]));
    kindMaps.set(catalog, map);
  }
  return map;
}

const patterns = new Map<string, RegExp | null>();

/**
 * Catalog regexes compiled once, in Unicode mode so a pattern may use `\p{…}` classes;
 * null when the source does not compile.
 */
function compiledPattern(source: string): RegExp | null {
  let re = patterns.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source, 'u');
    } catch {
      re = null;
    }
    patterns.set(source, re);
  }
  return re;
}
