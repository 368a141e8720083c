/**
 * One check per field type: the table the validator dispatches on. Each check receives a
 * value that is present (not undefined, null, blank text or an empty list) and returns
 * its findings; requiredness is decided before, by the validator.
 */

import type { CodeTable, FieldDefinition, FieldType } from '../catalog/types.ts';
import { validateCitizenId, validatePlateNumber, validateUscc } from '../checkdigits.ts';
import { isRealDate } from '../dates.ts';
import { getRegion, isWithinRegion } from '../regions.ts';
import { HOLDER_ID_CHECKS } from './envelope.ts';
import type { RuleCode } from './ruleCodes.ts';

export interface FieldCheckEnv {
  codeTables: Record<string, CodeTable>;
  provinceCode: string;
  today: string;
  /** The whole record, for checks that depend on a sibling (holder.id on holder.idType). */
  record: Record<string, unknown>;
  /** Compiled catalog pattern, or null when the catalog's regex source is broken. */
  regex(source: string): RegExp | null;
}

export interface Finding {
  code: RuleCode;
  message: string;
  /** Appended to the field path, e.g. '[2]' for a list item. */
  suffix?: string;
}

export type FieldCheck = (value: unknown, def: FieldDefinition, env: FieldCheckEnv) => Finding[];

export const FIELD_TYPE_CHECKS: Record<FieldType, FieldCheck> = {
  string(value, def, env) {
    if (typeof value !== 'string') return [typeError(def, '文本')];
    const out = maxLength(value, def);
    if (def.pattern !== undefined) {
      const re = env.regex(def.pattern);
      if (!re) out.push(catalogError(def, '格式规则'));
      else if (!re.test(value)) {
        out.push({
          code: 'PATTERN',
          message: `${def.label}格式不正确${def.patternDescription ? `，应为${def.patternDescription}` : ''}`,
        });
      }
    }
    return out;
  },

  date(value, def, env) {
    if (typeof value !== 'string') return [typeError(def, 'YYYY-MM-DD格式的日期文本')];
    if (!isRealDate(value)) {
      return [{ code: 'DATE_INVALID', message: `${def.label}不是有效日期，应为YYYY-MM-DD格式的真实日期` }];
    }
    if (def.notFuture && value > env.today) {
      return [{ code: 'DATE_FUTURE', message: `${def.label}不能晚于当天（${env.today}）` }];
    }
    return [];
  },

  code(value, def, env) {
    if (typeof value !== 'string') return [typeError(def, '代码文本（如“1”）')];
    const table = tableOf(def, env);
    if (!table) return [catalogError(def, '代码表')];
    if (!inTable(table, value, def.codeMatch ?? 'code')) return [codeTableError(def, table, value)];
    return [];
  },

  codeSequence(value, def, env) {
    if (typeof value !== 'string') return [typeError(def, '代码文本（如“A2”）')];
    const out = maxLength(value, def);
    const table = tableOf(def, env);
    if (!table) return [...out, catalogError(def, '代码表')];
    if (!splitCodeSequence(table, value)) out.push(codeTableError(def, table, value));
    return out;
  },

  integer(value, def) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return [typeError(def, '整数')];
    if (def.min !== undefined && value < def.min) {
      return [{ code: 'INTEGER_RANGE', message: `${def.label}不能小于${def.min}` }];
    }
    if (def.max !== undefined && value > def.max) {
      return [{ code: 'INTEGER_RANGE', message: `${def.label}不能大于${def.max}` }];
    }
    return [];
  },

  capacity(value, def) {
    if (typeof value !== 'string') return [typeError(def, '文本（如“40吨”“45座”）')];
    const m = /^(\d{1,6}(?:\.\d{1,3})?)(吨|座)$/.exec(value);
    const amount = m ? Number(m[1]) : 0;
    if (!m || amount <= 0 || (m[2] === '座' && !Number.isInteger(amount))) {
      return [
        {
          code: 'CAPACITY_FORMAT',
          message: `${def.label}“${shown(value)}”格式不正确，应为正数加单位“吨”或“座”，如“40吨”“45座”`,
        },
      ];
    }
    return [];
  },

  stringList(value, def, env) {
    if (!Array.isArray(value)) return [typeError(def, '列表')];
    const table = def.codeTable === undefined ? undefined : tableOf(def, env);
    if (def.codeTable !== undefined && !table) return [catalogError(def, '代码表')];
    const out: Finding[] = [];
    value.forEach((item, i) => {
      const suffix = `[${i}]`;
      if (typeof item !== 'string' || item.trim() === '') {
        out.push({ ...typeError(def, '非空文本'), message: `${def.label}第${i + 1}项应为非空文本`, suffix });
      } else if (table && !inTable(table, item, def.codeMatch ?? 'code')) {
        out.push({ ...codeTableError(def, table, item), suffix });
      } else if (def.maxLength !== undefined && [...item].length > def.maxLength) {
        out.push({
          code: 'MAX_LENGTH',
          message: `${def.label}第${i + 1}项长度不能超过${def.maxLength}个字符`,
          suffix,
        });
      }
    });
    return out;
  },

  plate(value, def) {
    if (typeof value !== 'string') return [typeError(def, '文本')];
    const result = validatePlateNumber(value);
    if (result.ok) return [];
    return [
      {
        code: 'PLATE_FORMAT',
        message: `${def.label}不符合号牌编码规则（GA 36）：${PLATE_REASONS[result.reason]}`,
      },
    ];
  },

  citizenId(value, def, env) {
    if (typeof value !== 'string') return [typeError(def, '文本')];
    return citizenIdFindings(value, def, env);
  },

  uscc(value, def) {
    if (typeof value !== 'string') return [typeError(def, '文本')];
    return usccFindings(value, def);
  },

  holderId(value, def, env) {
    if (typeof value !== 'string') return [typeError(def, '文本')];
    const holder = env.record.holder;
    const idType = isPlainObject(holder) && Object.hasOwn(holder, 'idType') ? holder.idType : undefined;
    const check = typeof idType === 'string' ? HOLDER_ID_CHECKS.get(idType) : undefined;
    if (check === 'citizenId') return citizenIdFindings(value, def, env);
    if (check === 'uscc') return usccFindings(value, def);
    return maxLength(value, def);
  },

  region(value, def, env) {
    if (typeof value !== 'string') return [typeError(def, '6位数字文本')];
    if (!getRegion(value)) {
      return [
        { code: 'REGION_UNKNOWN', message: `${def.label}“${shown(value)}”不是现行GB/T 2260行政区划代码` },
      ];
    }
    if (!isWithinRegion(value, env.provinceCode)) {
      const province = getRegion(env.provinceCode)?.name ?? env.provinceCode;
      return [{ code: 'REGION_OUTSIDE_PROVINCE', message: `${def.label}“${value}”不在${province}范围内` }];
    }
    return [];
  },

  phone(value, def) {
    if (typeof value !== 'string') return [typeError(def, '文本')];
    if (!/^1[3-9]\d{9}$/.test(value)) {
      return [{ code: 'PHONE_FORMAT', message: `${def.label}不是有效的11位中国大陆手机号码` }];
    }
    return [];
  },
};

const PLATE_REASONS = {
  LENGTH: '号牌应为7位（新能源8位），不含间隔符',
  PROVINCE: '首位应为省、自治区、直辖市简称',
  AUTHORITY: '第二位应为发牌机关代号（大写字母，不用I、O）',
  SERIAL: '序号应为5位数字或字母（新能源6位，首位或末位为D、F；挂车、教练车为4位加“挂”“学”），不用I、O',
} as const;

const ID_MESSAGES = {
  LENGTH: { code: 'ID_FORMAT', text: '应为18位' },
  CHARSET: { code: 'ID_FORMAT', text: '前17位应为数字，末位为数字或大写X' },
  CHECK_DIGIT: { code: 'ID_CHECK_DIGIT', text: '校验码错误' },
  BIRTH_DATE: { code: 'ID_BIRTH_DATE', text: '其中的出生日期不是真实日期或晚于当天' },
  REGION: { code: 'ID_REGION', text: '前两位不是有效的省级行政区划代码' },
} as const;

function citizenIdFindings(value: string, def: FieldDefinition, env: FieldCheckEnv): Finding[] {
  const result = validateCitizenId(value, { today: env.today });
  if (result.ok) return [];
  const m = ID_MESSAGES[result.reason];
  return [{ code: m.code, message: `${def.label}不是有效的公民身份号码（GB 11643）：${m.text}` }];
}

const USCC_MESSAGES = {
  LENGTH: { code: 'USCC_FORMAT', text: '应为18位' },
  CHARSET: { code: 'USCC_FORMAT', text: '应由数字和大写字母（不用I、O、S、V、Z）组成，第3至8位为数字' },
  CHECK_CHAR: { code: 'USCC_CHECK', text: '第18位校验码错误' },
  ORG_CODE_CHECK: { code: 'USCC_CHECK', text: '第9至17位组织机构代码的校验码错误（GB 11714）' },
} as const;

function usccFindings(value: string, def: FieldDefinition): Finding[] {
  const result = validateUscc(value);
  if (result.ok) return [];
  const m = USCC_MESSAGES[result.reason];
  return [{ code: m.code, message: `${def.label}不是有效的统一社会信用代码（GB 32100）：${m.text}` }];
}

function maxLength(value: string, def: FieldDefinition): Finding[] {
  if (def.maxLength === undefined) return [];
  const length = [...value].length;
  if (length <= def.maxLength) return [];
  return [
    { code: 'MAX_LENGTH', message: `${def.label}长度不能超过${def.maxLength}个字符（当前${length}个）` },
  ];
}

function typeError(def: FieldDefinition, expected: string): Finding {
  return { code: 'TYPE', message: `${def.label}的数据类型不正确，应为${expected}` };
}

function catalogError(def: FieldDefinition, what: string): Finding {
  return { code: 'CATALOG_INVALID', message: `${def.label}的${what}在证照目录中配置有误，请联系省级管理员` };
}

function codeTableError(def: FieldDefinition, table: CodeTable, value: string): Finding {
  return { code: 'CODE_TABLE', message: `${def.label}的取值“${shown(value)}”不在代码表《${table.name}》中` };
}

function tableOf(def: FieldDefinition, env: FieldCheckEnv): CodeTable | undefined {
  const name = def.codeTable;
  if (name === undefined || !Object.hasOwn(env.codeTables, name)) return undefined;
  const table = env.codeTables[name];
  return table && Array.isArray(table.entries) ? table : undefined;
}

const tableIndexes = new WeakMap<CodeTable, { codes: Set<string>; names: Set<string>; byLength: string[] }>();

function tableIndex(table: CodeTable) {
  let index = tableIndexes.get(table);
  if (!index) {
    const codes = new Set(table.entries.map((e) => e.code));
    index = {
      codes,
      names: new Set(table.entries.map((e) => e.name)),
      // Longest first, so "C1" is tried before "C" when splitting a sequence.
      byLength: [...codes].sort((a, b) => b.length - a.length),
    };
    tableIndexes.set(table, index);
  }
  return index;
}

function inTable(table: CodeTable, value: string, match: 'code' | 'name' | 'codeOrName'): boolean {
  const index = tableIndex(table);
  if (match === 'code') return index.codes.has(value);
  if (match === 'name') return index.names.has(value);
  return index.codes.has(value) || index.names.has(value);
}

/** Splits "C1E" into ["C1", "E"]; null unless the whole string is distinct codes of the table. */
export function splitCodeSequence(table: CodeTable, value: string): string[] | null {
  const { byLength } = tableIndex(table);
  const parts: string[] = [];
  let rest = value;
  while (rest.length > 0) {
    const next = byLength.find((c) => c.length > 0 && rest.startsWith(c));
    if (next === undefined || parts.includes(next)) return null;
    parts.push(next);
    rest = rest.slice(next.length);
  }
  return parts.length > 0 ? parts : null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for a message: short, and never an object dump. */
function shown(value: string): string {
  const chars = [...value];
  return chars.length > 32 ? `${chars.slice(0, 32).join('')}…` : value;
}
