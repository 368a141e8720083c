/**
 * Consistency of catalog content itself, run before a new catalog version is published:
 * a broken catalog would make the standard checks reject good records (or pass bad ones),
 * so it must be refused at the door. Returns Chinese problems; empty means publishable.
 */
import { isRealDate } from '../dates.ts';
import { ENVELOPE_FIELDS } from '../rules/envelope.ts';
import { FIELD_TYPE_CHECKS } from '../rules/fieldTypes.ts';
import type { CatalogContent, CrossCheck, KindDefinition } from './types.ts';

const FIELD_KEY = /^[a-z][A-Za-z0-9]{0,63}$/;
const ENVELOPE_PATHS = new Set(ENVELOPE_FIELDS.map((f) => f.key));

export function checkCatalog(content: CatalogContent): string[] {
  const problems: string[] = [];
  const tables = content.codeTables;
  const hasTable = (name: string) => Object.hasOwn(tables, name);
  for (const [name, table] of Object.entries(tables)) {
    const codes = table.entries.map((e) => e.code);
    if (new Set(codes).size !== codes.length) problems.push(`代码表${name}（${table.name}）存在重复代码`);
    if (codes.some((c) => c === '')) problems.push(`代码表${name}（${table.name}）存在空代码`);
  }

  const seen = new Set<string>();
  for (const kind of content.kinds) {
    const where = `证照类型${kind.code}（${kind.name}）`;
    if (!/^[0-9A-Z]{21}$/.test(kind.code)) problems.push(`${where}：证照类型代码应为21位数字或大写字母`);
    if (seen.has(kind.code)) problems.push(`${where}：证照类型代码重复`);
    seen.add(kind.code);
    if (!compiles(kind.numberPattern)) problems.push(`${where}：编号规则不是有效的正则表达式`);
    if (!isRealDate(kind.collectionStartDate)) problems.push(`${where}：归集起始时间应为YYYY-MM-DD日期`);
    if ('years' in kind.validity && !(Number.isInteger(kind.validity.years) && kind.validity.years > 0)) {
      problems.push(`${where}：有效期年数应为正整数`);
    }
    if (!hasTable('holderIdType')) problems.push('缺少代码表holderIdType（持证主体代码类型）');
    else {
      for (const t of kind.holderIdTypes) {
        if (!tables.holderIdType?.entries.some((e) => e.code === t)) {
          problems.push(`${where}：持证主体代码类型“${t}”不在代码表中`);
        }
      }
    }
    const keys = new Set<string>();
    for (const field of kind.fields) {
      const at = `${where}字段${field.key}（${field.label}）`;
      if (!FIELD_KEY.test(field.key)) problems.push(`${at}：字段名应为小写字母开头的驼峰英文`);
      if (keys.has(field.key)) problems.push(`${at}：字段名重复`);
      keys.add(field.key);
      if (!Object.hasOwn(FIELD_TYPE_CHECKS, field.type)) problems.push(`${at}：未知字段类型${field.type}`);
      const needsTable = field.type === 'code' || field.type === 'codeSequence';
      if (needsTable && field.codeTable === undefined) problems.push(`${at}：代码类字段必须指定代码表`);
      if (field.codeTable !== undefined && !hasTable(field.codeTable)) {
        problems.push(`${at}：引用的代码表${field.codeTable}不存在`);
      }
      if (field.pattern !== undefined && !compiles(field.pattern))
        problems.push(`${at}：格式规则不是有效的正则表达式`);
    }
    for (const check of kind.crossChecks) {
      for (const path of crossCheckPaths(check)) {
        if (!pathExists(path, kind)) problems.push(`${where}：字段间校验引用了不存在的字段${path}`);
      }
    }
  }
  return problems;
}

function crossCheckPaths(check: CrossCheck): string[] {
  switch (check.type) {
    case 'dateOrder':
      return [check.earlier, check.later];
    case 'birthDateMatchesHolderId':
    case 'genderMatchesHolderId':
      return [check.field];
    case 'fieldsEqual':
      return [check.field, check.other];
  }
}

function pathExists(path: string, kind: KindDefinition): boolean {
  if (path.startsWith('face.')) return kind.fields.some((f) => f.key === path.slice(5));
  return ENVELOPE_PATHS.has(path);
}

function compiles(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}
