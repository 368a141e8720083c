/**
 * One valid record per kind, written out literally with real check digits (computed once
 * and checked by the tests), independent of src/domain/rules/samples.ts so the validator
 * is not only tested against data made by the code under test.
 */
import type { IntakeRecord } from '../../../src/domain/rules/types.ts';

export const PROVINCE = '210000';
/** A fixed "today" so date rules do not drift with the clock. */
export const TODAY = '2025-06-01';

export const KIND = {
  qualification: '11100000000019713D071',
  rideHailingDriver: '11100000000019713D072',
  taxiDriver: '11100000000019713D075',
  businessLicence: '11100000000019713D008',
  dangerousGoods: '11100000000019713D016',
  radioactive: '11100000000019713D079',
  rideHailingBusiness: '11100000000019713D074',
  transport: '11100000000019713D013',
  rideHailingVehicle: '11100000000019713D073',
} as const;

/** GB 11643: 辽宁省沈阳市和平区, born 1985-03-15, sequence 123 (odd: male). */
export const MALE_ID = '210102198503151235';
/** GB 11643: born 1990-07-08, sequence 204 (even: female). */
export const FEMALE_ID = '210102199007082044';
/** The example in GB 11643 itself. */
export const STANDARD_EXAMPLE_ID = '11010519491231002X';
/** GB 32100 with a valid GB 11714 organisation code (73000001-0). */
export const ISSUER_USCC = '112101027300000106';
export const COMPANY_USCC = '91210102MA0QXY126U';
export const SOLE_TRADER_USCC = '92210102MA0R2K3F9W';

const issuer = { name: '沈阳市和平区交通运输局', code: ISSUER_USCC };
const company = { idType: '001', id: COMPANY_USCC, name: '沈阳市顺达运输有限公司', phone: '13912345678' };
const driver = { idType: '111', id: MALE_ID, name: '张伟', phone: '13800138000' };

const driverFace = {
  name: '张伟',
  gender: '1',
  birthDate: '1985-03-15',
  drivingClass: 'C1',
  firstIssueDate: '2019-06-18',
};

const RECORDS: Record<string, IntakeRecord> = {
  [KIND.qualification]: {
    kind: KIND.qualification,
    regionCode: '210102',
    certificateNumber: MALE_ID,
    issuer,
    issueDate: '2025-03-01',
    holder: driver,
    validFrom: '2025-03-01',
    validTo: '2031-02-28',
    face: {
      name: '张伟',
      gender: '1',
      nationality: '中国',
      birthDate: '1985-03-15',
      address: '辽宁省沈阳市和平区十三纬路19号',
      drivingClass: 'A2',
      qualificationCategories: ['经营性道路货物运输驾驶员', '道路危险货物运输驾驶员'],
      firstIssueDate: '2010-05-20',
      employer: '沈阳市顺达运输有限公司',
      archiveNumber: '21010200000001',
    },
  },
  [KIND.rideHailingDriver]: {
    kind: KIND.rideHailingDriver,
    regionCode: '210100',
    certificateNumber: MALE_ID,
    issuer: { name: '沈阳市交通运输局', code: ISSUER_USCC },
    issueDate: '2025-03-01',
    holder: driver,
    face: { ...driverFace, operatingArea: '沈阳市', employer: '辽宁网约出行科技有限公司' },
  },
  [KIND.taxiDriver]: {
    kind: KIND.taxiDriver,
    regionCode: '210202',
    certificateNumber: 'DL2025000123',
    issuer: { name: '大连市中山区交通运输局', code: ISSUER_USCC },
    issueDate: '2025-03-01',
    holder: { idType: '111', id: FEMALE_ID, name: '王芳' },
    face: {
      name: '王芳',
      gender: '2',
      birthDate: '1990-07-08',
      firstIssueDate: '2015-09-01',
      employer: '大连市出租汽车有限公司',
    },
  },
  [KIND.businessLicence]: {
    kind: KIND.businessLicence,
    regionCode: '210102',
    certificateNumber: '210102000001',
    issuer,
    issueDate: '2025-03-01',
    holder: company,
    validFrom: '2025-03-01',
    validTo: '2029-02-28',
    face: {
      ownerName: '沈阳市顺达运输有限公司',
      address: '辽宁省沈阳市和平区南京南街1号',
      economicType: '私营有限责任（公司）',
      businessScope: '道路普通货物运输',
      legalRepresentative: '王建国',
    },
  },
  [KIND.dangerousGoods]: {
    kind: KIND.dangerousGoods,
    regionCode: '210102',
    certificateNumber: '210102000002',
    issuer,
    issueDate: '2025-03-01',
    holder: company,
    validFrom: '2025-03-01',
    validTo: '2029-02-28',
    face: {
      ownerName: '沈阳市顺达运输有限公司',
      address: '辽宁省沈阳市和平区南京南街1号',
      businessScope: '危险货物运输（2类1项、3类）',
      vehicleCount: 12,
    },
  },
  [KIND.radioactive]: {
    kind: KIND.radioactive,
    regionCode: '210000',
    certificateNumber: 'LNFS2025001',
    issuer: { name: '辽宁省交通运输厅', code: ISSUER_USCC },
    issueDate: '2025-03-01',
    holder: company,
    validFrom: '2025-03-01',
    validTo: '2030-02-28',
    face: {
      ownerName: '沈阳市顺达运输有限公司',
      address: '辽宁省沈阳市和平区南京南街1号',
      businessScope: '二类放射性物品、三类放射性物品',
    },
  },
  [KIND.rideHailingBusiness]: {
    kind: KIND.rideHailingBusiness,
    regionCode: '210100',
    certificateNumber: 'WYC210100001',
    issuer: { name: '沈阳市交通运输局', code: ISSUER_USCC },
    issueDate: '2025-03-01',
    holder: { idType: '001', id: COMPANY_USCC, name: '辽宁网约出行科技有限公司' },
    validFrom: '2025-03-01',
    validTo: '2028-02-29',
    face: {
      ownerName: '辽宁网约出行科技有限公司',
      address: '辽宁省沈阳市浑南区创新路1号',
      legalRepresentative: '李娜',
      operatingArea: '沈阳市',
      businessScope: '网络预约出租汽车客运',
    },
  },
  [KIND.transport]: {
    kind: KIND.transport,
    regionCode: '210102',
    certificateNumber: '210102100001',
    issuer,
    issueDate: '2025-03-01',
    holder: { idType: '001', id: SOLE_TRADER_USCC, name: '沈阳市和平区张伟货运部' },
    face: {
      ownerName: '沈阳市和平区张伟货运部',
      address: '辽宁省沈阳市和平区南京南街1号',
      plateNumber: '辽A1234挂',
      plateColor: '2',
      businessLicenseNumber: '210102000001',
      economicType: '175',
      vehicleType: '重型平板半挂车',
      capacity: '32.5吨',
      lengthMm: 13000,
      widthMm: 2550,
      heightMm: 1600,
      businessScope: '道路普通货物运输',
      firstIssueDate: '2025-03-01',
    },
  },
  [KIND.rideHailingVehicle]: {
    kind: KIND.rideHailingVehicle,
    regionCode: '210103',
    certificateNumber: 'WYC2101030001',
    issuer: { name: '沈阳市沈河区交通运输局', code: ISSUER_USCC },
    issueDate: '2025-03-01',
    holder: { idType: '111', id: FEMALE_ID, name: '王芳' },
    validFrom: '2025-03-01',
    validTo: '2028-02-29',
    face: {
      ownerName: '王芳',
      plateNumber: '辽AD12345',
      plateColor: '94',
      vehicleType: '小型轿车',
      operatingArea: '沈阳市',
      firstIssueDate: '2024-11-30',
    },
  },
};

/** A fresh deep copy each call, so a test may mutate it freely. */
export function validRecord(kindCode: string): IntakeRecord {
  const record = RECORDS[kindCode];
  if (!record) throw new Error(`no fixture for kind ${kindCode}`);
  return structuredClone(record);
}

export const ALL_KINDS: string[] = Object.values(KIND);
