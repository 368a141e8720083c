/**
 * Valid sample records for every kind of the default catalog, with real check digits:
 * demo seeding, documentation examples and tests build on them. `index` varies every
 * identifying value deterministically (holder ID number or USCC, plate, certificate
 * number), so a seed run can create many distinct certificates.
 */
import { AppError } from '../../errors.ts';
import { DEFAULT_CATALOG, getKind } from '../catalog/index.ts';
import type { FieldDefinition, KindDefinition } from '../catalog/types.ts';
import {
  computeOrganizationCodeCheckChar,
  computeUsccCheckChar,
  mod112CheckChar,
  PLATE_PROVINCES,
} from '../checkdigits.ts';
import { addDays } from '../dates.ts';
import { requireRegion } from '../regions.ts';
import type { IntakeRecord } from './types.ts';

export interface SampleOptions {
  /** Varies identifying values; 0 … 9,999,999. */
  index?: number;
  /** Issuing department's region; default 210102 (沈阳市和平区). */
  regionCode?: string;
}

/** Deep-merged over the sample: objects merge, other values replace, `undefined` deletes. */
export type RecordOverrides = { [key: string]: unknown };

const ISSUE_DATE = '2025-03-01';
const FIRST_ISSUE_DATE = '2019-06-18';
const PERSON_NAMES = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨帆', '赵磊', '黄丽', '周强', '吴敏'];
const COMPANY_WORDS = ['顺达', '通远', '安捷', '恒运', '鑫路', '畅行', '北方', '辽东'];
// Province codes in the order of PLATE_PROVINCES (京 11 … 新 65).
const PLATE_PROVINCE_CODES =
  '11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65'.split(' ');

/** Face values by field key; a kind's own entry in KIND_FACE wins. */
const FACE_VALUES: Record<string, unknown> = {
  nationality: '中国',
  address: '辽宁省沈阳市和平区十三纬路19号',
  drivingClass: 'A2',
  qualificationCategories: ['经营性道路货物运输驾驶员'],
  firstIssueDate: FIRST_ISSUE_DATE,
  employer: '沈阳顺达运输有限公司',
  operatingArea: '沈阳市',
  economicType: '173',
  legalRepresentative: '王建国',
  businessScope: '道路普通货物运输',
  vehicleType: '重型半挂牵引车',
  capacity: '40吨',
  lengthMm: 6850,
  widthMm: 2490,
  heightMm: 3600,
  remarks: '年审合格',
  vehicleCount: 12,
  plateColor: '2',
};

const KIND_FACE: Record<string, Record<string, unknown>> = {
  '11100000000019713D016': { businessScope: '危险货物运输（2类1项、3类）' },
  '11100000000019713D079': { businessScope: '二类放射性物品、三类放射性物品' },
  '11100000000019713D074': { businessScope: '网络预约出租汽车客运', operatingArea: '沈阳市' },
  '11100000000019713D072': { drivingClass: 'C1', employer: '辽宁网约出行科技有限公司' },
  '11100000000019713D075': { drivingClass: 'C1', employer: '沈阳市出租汽车有限公司' },
  '11100000000019713D073': { plateColor: '1', vehicleType: '小型轿车' },
};

export function sampleRecord(
  kindCode: string,
  overrides?: RecordOverrides,
  opts: SampleOptions = {},
): IntakeRecord {
  const kind = getKind(DEFAULT_CATALOG, kindCode);
  const index = opts.index ?? 0;
  if (!Number.isInteger(index) || index < 0 || index > 9_999_999) {
    throw new AppError('BAD_REQUEST', '示例序号应为0至9999999之间的整数');
  }
  const region = requireRegion(opts.regionCode ?? '210102');
  const province = requireRegion(`${region.code.slice(0, 2)}0000`);
  const place = region.fullName.slice(province.name.length) || province.name;

  const person = kind.holderIdTypes.includes('001') ? undefined : samplePerson(region.code, index);
  const holder = person
    ? { idType: '111', id: person.id, name: person.name, phone: samplePhone(index) }
    : {
        idType: '001',
        id: sampleUscc('91', region.code, 50_000_000 + index),
        name: `${place}${COMPANY_WORDS[index % COMPANY_WORDS.length]}运输有限公司${index >= COMPANY_WORDS.length ? `第${index}分公司` : ''}`,
        phone: samplePhone(index),
      };

  const face: Record<string, unknown> = {};
  for (const field of kind.fields)
    face[field.key] = faceValue(field, kind, holder.name, person, region.code, index);

  const record: IntakeRecord = {
    kind: kind.code,
    regionCode: region.code,
    certificateNumber: kind.crossChecks.some(
      (c) => c.type === 'fieldsEqual' && c.field === 'certificateNumber' && c.other === 'holder.id',
    )
      ? holder.id
      : sequenceNumber(region.code, index),
    issuer: {
      name: region.level === 'province' ? `${province.name}交通运输厅` : `${place}交通运输局`,
      code: sampleUscc('11', region.code, 73_000_001),
    },
    issueDate: ISSUE_DATE,
    holder,
    face,
  };
  if ('years' in kind.validity) {
    record.validFrom = ISSUE_DATE;
    record.validTo = addDays(addYears(ISSUE_DATE, kind.validity.years), -1);
  }
  return overrides ? (mergeOverrides({ ...record }, overrides) as unknown as IntakeRecord) : record;
}

/** One sample per kind of the default catalog. */
export function sampleRecords(opts: SampleOptions = {}): IntakeRecord[] {
  return DEFAULT_CATALOG.kinds.map((k) => sampleRecord(k.code, undefined, opts));
}

interface SamplePerson {
  id: string;
  name: string;
  birthDate: string;
  gender: '1' | '2';
}

function samplePerson(regionCode: string, index: number): SamplePerson {
  // Birth dates spread over ~33 years from 1965; the sequence digits take the rest of the
  // index, so (birth date, sequence) is unique for every allowed index.
  const birthDate = addDays('1965-01-01', index % 12_000);
  const sequence = String(100 + (Math.floor(index / 12_000) % 900));
  const body = `${regionCode}${birthDate.replaceAll('-', '')}${sequence}`;
  const gender = Number(sequence[2]) % 2 === 1 ? '1' : '2';
  return {
    id: body + mod112CheckChar(body),
    name: PERSON_NAMES[index % PERSON_NAMES.length] ?? '张伟',
    birthDate,
    gender,
  };
}

function sampleUscc(head: string, regionCode: string, serial: number): string {
  const org = String(serial % 100_000_000).padStart(8, '0');
  const body = `${head}${regionCode}${org}${computeOrganizationCodeCheckChar(org)}`;
  return body + computeUsccCheckChar(body);
}

/** 12 digits: region code + 6-digit sequence; repeats after 999,999 samples of one region. */
function sequenceNumber(regionCode: string, index: number): string {
  return `${regionCode}${String((index % 999_999) + 1).padStart(6, '0')}`;
}

function samplePhone(index: number): string {
  return `138${String(index % 100_000_000).padStart(8, '0')}`;
}

function samplePlate(regionCode: string, index: number): string {
  const at = PLATE_PROVINCE_CODES.indexOf(regionCode.slice(0, 2));
  const province = [...PLATE_PROVINCES][at < 0 ? 5 : at];
  return `${province}A${String(index % 100_000).padStart(5, '0')}`;
}

function faceValue(
  field: FieldDefinition,
  kind: KindDefinition,
  holderName: string,
  person: SamplePerson | undefined,
  regionCode: string,
  index: number,
): unknown {
  switch (field.key) {
    case 'name':
    case 'ownerName':
      return holderName;
    case 'birthDate':
      return person?.birthDate ?? '1980-01-01';
    case 'gender':
      return person?.gender ?? '1';
    case 'plateNumber':
      return samplePlate(regionCode, index);
    case 'businessLicenseNumber':
      return sequenceNumber(regionCode, index);
    case 'archiveNumber':
      return `${regionCode}${String(index + 1).padStart(8, '0')}`;
  }
  const byKind = KIND_FACE[kind.code];
  if (byKind && Object.hasOwn(byKind, field.key)) return byKind[field.key];
  if (Object.hasOwn(FACE_VALUES, field.key)) return FACE_VALUES[field.key];
  // A field added by a later catalog version still gets a plausible value.
  switch (field.type) {
    case 'date':
      return FIRST_ISSUE_DATE;
    case 'integer':
      return Math.max(field.min ?? 1, 1);
    default:
      return field.label;
  }
}

function addYears(date: string, years: number): string {
  const y = Number(date.slice(0, 4)) + years;
  const rest = date.slice(4);
  // 29 February moves to 28 February in a common year.
  return rest === '-02-29' && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))
    ? `${y}-02-28`
    : `${y}${rest}`;
}

function mergeOverrides(base: Record<string, unknown>, overrides: RecordOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else {
      const merged = isMergeable(value) && isMergeable(current) ? mergeOverrides(current, value) : value;
      // defineProperty, so a '__proto__' key stays data instead of replacing the prototype.
      Object.defineProperty(out, key, {
        value: merged,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}

function isMergeable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
