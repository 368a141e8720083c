/**
 * The nine certificate kinds of DB21/T 3.2 with their MOT type codes and face fields.
 * Face field keys are the intake contract with the source system (REFERENCE §2): never
 * rename one; add fields instead. Values marked "assumption" in docs/catalog.md are not
 * backed by a public text and are kept as data so a province can correct them by
 * publishing a new catalog version.
 */
import type { CrossCheck, FieldDefinition, KindDefinition } from './types.ts';

// ── field builders: keep the kind tables below readable ───────────────────────────────

function text(key: string, label: string, required: boolean, maxLength: number): FieldDefinition {
  return { key, label, type: 'string', required, maxLength };
}

function date(key: string, label: string, required: boolean, notFuture = false): FieldDefinition {
  return notFuture
    ? { key, label, type: 'date', required, notFuture }
    : { key, label, type: 'date', required };
}

function code(key: string, label: string, required: boolean, codeTable: string): FieldDefinition {
  return { key, label, type: 'code', required, codeTable };
}

const TWELVE_DIGITS = '^\\d{12}$';
const TWELVE_DIGITS_TEXT = '12位数字：签发机关6位行政区划代码加6位顺序号';
// Numbering of these kinds is not published; accept what a number plausibly looks like.
const GENERIC_NUMBER = '^[0-9A-Z]{6,32}$';
const GENERIC_NUMBER_TEXT = '6至32位数字或大写字母';

/** 持证主体代码类型 of natural persons. */
const NATURAL_PERSON_ID_TYPES = '111 114 115 118 119 120 122 411 412 413 414 511 516 999'.split(' ');
const ORGANISATION_ID_TYPES = ['001', '099'];

const personName = text('name', '姓名', true, 50);
const gender = code('gender', '性别', true, 'gender');
const birthDate = date('birthDate', '出生日期', true, true);
const drivingClass: FieldDefinition = {
  key: 'drivingClass',
  label: '准驾车型',
  type: 'codeSequence',
  required: false,
  codeTable: 'drivingClass',
  maxLength: 10,
};
const economicType: FieldDefinition = {
  key: 'economicType',
  label: '经济类型',
  type: 'code',
  required: false,
  codeTable: 'economicType',
  codeMatch: 'codeOrName',
};
const plateNumber: FieldDefinition = { key: 'plateNumber', label: '车辆号牌', type: 'plate', required: true };
const plateColor = code('plateColor', '车牌颜色', true, 'plateColor');
const legalRepresentative = (required: boolean) => text('legalRepresentative', '法定代表人', required, 50);

const firstIssueNotAfterIssue: CrossCheck = {
  type: 'dateOrder',
  earlier: 'face.firstIssueDate',
  later: 'issueDate',
  allowEqual: true,
  reportOn: 'earlier',
};

/** Checks every practitioner certificate shares: the holder is the person on the face. */
const PRACTITIONER_CHECKS: CrossCheck[] = [
  firstIssueNotAfterIssue,
  { type: 'dateOrder', earlier: 'face.birthDate', later: 'face.firstIssueDate', allowEqual: false },
  { type: 'birthDateMatchesHolderId', field: 'face.birthDate' },
  { type: 'genderMatchesHolderId', field: 'face.gender' },
  { type: 'fieldsEqual', field: 'face.name', other: 'holder.name' },
];

const MOT = '11100000000019713D';
const COLLECTION_START = '2020-01-01';

export const KINDS: KindDefinition[] = [
  // ── practitioner (JT/T 1290—2019) ──
  {
    code: `${MOT}071`,
    name: '道路运输从业人员从业资格证',
    shortName: '从业资格证',
    family: 'practitioner',
    standard: 'JT/T 1290—2019',
    fields: [
      personName,
      gender,
      text('nationality', '国籍', true, 50),
      birthDate,
      text('address', '住址', false, 200),
      drivingClass,
      {
        key: 'qualificationCategories',
        label: '从业资格类别',
        type: 'stringList',
        required: true,
        codeTable: 'qualificationCategory',
      },
      date('firstIssueDate', '初领日期', true, true),
      text('employer', '服务单位', false, 200),
      text('archiveNumber', '档案号', false, 50),
    ],
    numberPattern: GENERIC_NUMBER,
    numberDescription: '与持证人身份证件号码相同（公民身份号码为18位）',
    validity: { years: 6 },
    review: { kind: 'renewal', renewWithinDays: 30, note: '有效期6年，届满前30日内换证' },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-071-v1',
    holderIdTypes: NATURAL_PERSON_ID_TYPES,
    crossChecks: [
      ...PRACTITIONER_CHECKS,
      { type: 'fieldsEqual', field: 'certificateNumber', other: 'holder.id' },
    ],
  },
  {
    code: `${MOT}072`,
    name: '网络预约出租汽车驾驶员证',
    shortName: '网约车驾驶员证',
    family: 'practitioner',
    standard: 'JT/T 1290—2019',
    fields: [
      personName,
      gender,
      birthDate,
      drivingClass,
      date('firstIssueDate', '初始领证日期', true, true),
      text('operatingArea', '经营区域', false, 200),
      text('employer', '服务单位', false, 200),
    ],
    numberPattern: GENERIC_NUMBER,
    numberDescription: GENERIC_NUMBER_TEXT,
    // Taxi driver certificates run 6 years, 10 years or without limit; the 3-year
    // registration (注册) is what recurs.
    validity: { none: true },
    review: {
      kind: 'renewal',
      renewWithinDays: 30,
      everyYears: 3,
      note: '注册有效期3年，届满前30日内申请延续注册',
    },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-072-v1',
    holderIdTypes: NATURAL_PERSON_ID_TYPES,
    crossChecks: PRACTITIONER_CHECKS,
  },
  {
    code: `${MOT}075`,
    name: '巡游出租汽车驾驶员证',
    shortName: '巡游车驾驶员证',
    family: 'practitioner',
    standard: 'JT/T 1290—2019',
    fields: [
      personName,
      gender,
      birthDate,
      drivingClass,
      date('firstIssueDate', '初领日期', true, true),
      text('employer', '服务单位', true, 200),
      text('archiveNumber', '档案号', false, 50),
    ],
    numberPattern: GENERIC_NUMBER,
    numberDescription: GENERIC_NUMBER_TEXT,
    validity: { none: true },
    review: {
      kind: 'renewal',
      renewWithinDays: 30,
      everyYears: 3,
      note: '注册有效期3年，届满前30日内申请延续注册',
    },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-075-v1',
    holderIdTypes: NATURAL_PERSON_ID_TYPES,
    crossChecks: PRACTITIONER_CHECKS,
  },
  // ── business (JT/T 1291—2019) ──
  {
    code: `${MOT}008`,
    name: '道路运输经营许可证',
    shortName: '经营许可证',
    family: 'business',
    standard: 'JT/T 1291—2019',
    fields: [
      text('ownerName', '经营业户名称', true, 200),
      text('address', '地址', true, 200),
      economicType,
      text('businessScope', '经营范围', true, 500),
      legalRepresentative(false),
    ],
    numberPattern: TWELVE_DIGITS,
    numberDescription: TWELVE_DIGITS_TEXT,
    validity: { years: 4 },
    review: { kind: 'none', note: '按年度开展质量信誉考核，不单独审验证件' },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-008-v1',
    // 个体运输业户 without a business licence hold it under their citizen ID.
    holderIdTypes: [...ORGANISATION_ID_TYPES, '111'],
    crossChecks: [{ type: 'fieldsEqual', field: 'face.ownerName', other: 'holder.name' }],
  },
  {
    code: `${MOT}016`,
    name: '道路危险货物运输许可证',
    shortName: '危货运输许可证',
    family: 'business',
    standard: 'JT/T 1291—2019',
    fields: [
      text('ownerName', '经营业户名称', true, 200),
      text('address', '地址', true, 200),
      text('businessScope', '经营范围（危险货物类别、项别）', true, 500),
      legalRepresentative(false),
      { key: 'vehicleCount', label: '车辆数', type: 'integer', required: false, min: 0 },
    ],
    numberPattern: TWELVE_DIGITS,
    numberDescription: TWELVE_DIGITS_TEXT,
    validity: { years: 4 },
    review: { kind: 'none' },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-016-v1',
    holderIdTypes: ORGANISATION_ID_TYPES,
    crossChecks: [{ type: 'fieldsEqual', field: 'face.ownerName', other: 'holder.name' }],
  },
  {
    code: `${MOT}079`,
    name: '放射性物品道路运输许可证',
    shortName: '放射性物品运输许可证',
    family: 'business',
    standard: 'JT/T 1291—2019',
    fields: [
      text('ownerName', '经营业户名称', true, 200),
      text('address', '地址', true, 200),
      text('businessScope', '经营范围（一类、二类、三类放射性物品）', true, 500),
      legalRepresentative(false),
    ],
    numberPattern: GENERIC_NUMBER,
    numberDescription: GENERIC_NUMBER_TEXT,
    validity: { years: 5 },
    review: { kind: 'none' },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-079-v1',
    holderIdTypes: ORGANISATION_ID_TYPES,
    crossChecks: [{ type: 'fieldsEqual', field: 'face.ownerName', other: 'holder.name' }],
  },
  {
    code: `${MOT}074`,
    name: '网络预约出租汽车经营许可证',
    shortName: '网约车经营许可证',
    family: 'business',
    standard: 'JT/T 1291—2019',
    fields: [
      text('ownerName', '企业名称', true, 200),
      text('address', '住所', true, 200),
      legalRepresentative(true),
      text('operatingArea', '经营区域', true, 200),
      text('businessScope', '经营范围', true, 500),
    ],
    numberPattern: GENERIC_NUMBER,
    numberDescription: GENERIC_NUMBER_TEXT,
    validity: { years: 3 },
    review: { kind: 'none' },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-074-v1',
    holderIdTypes: ORGANISATION_ID_TYPES,
    crossChecks: [{ type: 'fieldsEqual', field: 'face.ownerName', other: 'holder.name' }],
  },
  // ── vehicle (JT/T 1292—2019) ──
  {
    code: `${MOT}013`,
    name: '道路运输证',
    shortName: '道路运输证',
    family: 'vehicle',
    standard: 'JT/T 1292—2019',
    fields: [
      text('ownerName', '业户名称', true, 200),
      text('address', '地址', true, 200),
      plateNumber,
      plateColor,
      {
        key: 'businessLicenseNumber',
        label: '经营许可证号',
        type: 'string',
        required: true,
        maxLength: 32,
        pattern: TWELVE_DIGITS,
        patternDescription: TWELVE_DIGITS_TEXT,
      },
      economicType,
      text('vehicleType', '车辆类型', true, 50),
      { key: 'capacity', label: '吨（座）位', type: 'capacity', required: true },
      { key: 'lengthMm', label: '车辆长度（毫米）', type: 'integer', required: false, min: 1 },
      { key: 'widthMm', label: '车辆宽度（毫米）', type: 'integer', required: false, min: 1 },
      { key: 'heightMm', label: '车辆高度（毫米）', type: 'integer', required: false, min: 1 },
      text('businessScope', '经营范围', true, 500),
      date('firstIssueDate', '初领日期', true, true),
      text('remarks', '备注', false, 500),
    ],
    numberPattern: TWELVE_DIGITS,
    numberDescription: TWELVE_DIGITS_TEXT,
    validity: { none: true },
    review: { kind: 'annual', note: '年度审验' },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-013-v1',
    holderIdTypes: [...ORGANISATION_ID_TYPES, '111'],
    crossChecks: [
      firstIssueNotAfterIssue,
      { type: 'fieldsEqual', field: 'face.ownerName', other: 'holder.name' },
    ],
  },
  {
    code: `${MOT}073`,
    name: '网络预约出租汽车运输证',
    shortName: '网约车运输证',
    family: 'vehicle',
    standard: 'JT/T 1292—2019',
    fields: [
      text('ownerName', '车辆所有人', true, 200),
      plateNumber,
      plateColor,
      text('vehicleType', '车辆类型', false, 50),
      text('operatingArea', '经营区域', true, 200),
      date('firstIssueDate', '初始发证日期', true, true),
    ],
    numberPattern: GENERIC_NUMBER,
    numberDescription: GENERIC_NUMBER_TEXT,
    validity: { years: 3 },
    review: { kind: 'annual', note: '年度审验' },
    collectionStartDate: COLLECTION_START,
    templateId: 'tpl-073-v1',
    // Private cars registered for ride-hailing are held by their (natural person) owner.
    holderIdTypes: [...ORGANISATION_ID_TYPES, ...NATURAL_PERSON_ID_TYPES],
    crossChecks: [firstIssueNotAfterIssue],
  },
];
