/**
 * The living demo province as data: every intake record a source system of Liaoning would have
 * pushed over the years, in push order, plus the holders worth trying in the wallet. Pure and
 * deterministic: every choice is a hash of the licence's number, so two demo starts (and the
 * test) see the same province.
 *
 * Dates are fixed, not relative to today: certificates in force were issued 2024-12 … 2025-10,
 * so those with a validity period stay in force until at least late 2027; later, the daily
 * expiry run turns them `expired` as it would in production.
 */
import { DEFAULT_CATALOG, getKind } from '../../domain/catalog/index.ts';
import { addDays } from '../../domain/dates.ts';
import type { IntakeEvent } from '../../domain/lifecycle.ts';
import { requireRegion } from '../../domain/regions.ts';
import { type RecordOverrides, sampleRecord } from '../../domain/rules/samples.ts';

/** Licences of the demo province (each becomes one or more intake records). */
export const DEMO_LICENCES = 2_600;

const MOT = '11100000000019713D';
type KindShort = '071' | '072' | '075' | '008' | '016' | '079' | '074' | '013' | '073';

interface City {
  name: string;
  code: string;
  /** Second character of the city's plates (辽A 沈阳 …). */
  plateLetter: string;
  counties: string[];
  weight: number;
}

const CITIES: City[] = [
  {
    name: '沈阳市',
    code: '210100',
    plateLetter: 'A',
    counties: ['210102', '210103', '210104', '210105', '210106', '210112', '210114', '210181'],
    weight: 28,
  },
  {
    name: '大连市',
    code: '210200',
    plateLetter: 'B',
    counties: ['210202', '210203', '210204', '210211', '210213', '210281'],
    weight: 24,
  },
  {
    name: '鞍山市',
    code: '210300',
    plateLetter: 'C',
    counties: ['210302', '210303', '210311', '210381'],
    weight: 10,
  },
  { name: '抚顺市', code: '210400', plateLetter: 'D', counties: ['210402', '210403', '210411'], weight: 7 },
  { name: '本溪市', code: '210500', plateLetter: 'E', counties: ['210502', '210503', '210504'], weight: 5 },
  { name: '丹东市', code: '210600', plateLetter: 'F', counties: ['210602', '210603', '210681'], weight: 7 },
  { name: '锦州市', code: '210700', plateLetter: 'G', counties: ['210702', '210703', '210781'], weight: 8 },
  { name: '营口市', code: '210800', plateLetter: 'H', counties: ['210802', '210804'], weight: 6 },
  { name: '辽阳市', code: '211000', plateLetter: 'K', counties: ['211002', '211081'], weight: 5 },
];

/** Share of each kind among the licences, in percent. */
const KIND_WEIGHTS: [KindShort, number][] = [
  ['013', 34],
  ['071', 24],
  ['008', 9],
  ['073', 8],
  ['072', 8],
  ['075', 6],
  ['016', 5],
  ['074', 3],
  ['079', 3],
];

const PRACTITIONER_KINDS = new Set<KindShort>(['071', '072', '075']);

/** Kinds a city bureau issues; the others are issued by the county (区县) bureaus. */
const CITY_LEVEL = new Set<KindShort>(['016', '079', '074', '072']);

type Scenario =
  | 'plain'
  | 'changed'
  | 'renewed'
  | 'paper'
  | 'converted'
  | 'revoked'
  | 'suspended'
  | 'resumed'
  | 'expired';

const SCENARIO_WEIGHTS: [Scenario, number][] = [
  ['plain', 56],
  ['changed', 12],
  ['renewed', 5],
  ['paper', 8],
  ['converted', 5],
  ['revoked', 5],
  ['suspended', 3],
  ['resumed', 1],
  ['expired', 5],
];

/** The typical mistakes of source systems, one per open non-standard item (不规范数据). */
export const DEMO_DEFECTS = [
  { code: 'ID_CHECK_DIGIT', kinds: ['071', '072', '075'] },
  { code: 'PLATE_FORMAT', kinds: ['013', '073'] },
  { code: 'REQUIRED', kinds: ['008', '016', '013'] },
  { code: 'DATE_ORDER', kinds: ['071', '008', '073', '074'] },
  { code: 'USCC_CHECK', kinds: ['013', '071', '008', '072'] },
] as const satisfies readonly { code: string; kinds: readonly KindShort[] }[];

/** One non-standard record per this many licences. */
const DEFECT_EVERY = 60;

const SURNAMES = [...'王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗'];
const GIVEN_NAMES = [
  ...['伟', '芳', '娜', '敏', '静', '磊', '强', '军', '洋', '勇', '艳', '杰', '涛', '明', '超'],
  ...['秀英', '建国', '海燕', '志强', '丽娟', '春生', '国华', '晓东', '玉兰', '宏伟'],
];
const COMPANY_WORDS = [
  ...['顺达', '通远', '安捷', '恒运', '鑫路', '畅行', '北方', '辽东', '华运', '盛通'],
  ...['宏达', '金桥', '海宇', '新程', '锦程', '万通'],
];
const COMPANY_TRADES: Partial<Record<KindShort, string[]>> = {
  '016': ['危险品运输', '化工物流'],
  '074': ['网约出行科技', '智慧出行服务'],
  '079': ['核技术物流', '同位素运输'],
  '073': ['汽车租赁', '出租汽车'],
};
const FREIGHT_TRADES = ['运输', '物流', '货运', '汽车运输'];
const STREETS = [
  '人民路',
  '中山路',
  '建设大街',
  '解放路',
  '新华街',
  '胜利路',
  '青年大街',
  '长江路',
  '黄河路',
  '滨海路',
];

/** Fleet companies per city: each holds a 经营许可证 and many 道路运输证. */
const FLEETS_PER_CITY = 3;

export interface DemoHolder {
  idType: string;
  id: string;
  name: string;
  phone: string;
}

export interface PlannedLicence {
  sourceRecordId: string;
  kind: string;
  regionCode: string;
  scenario: Scenario | 'defect';
  holder: DemoHolder;
}

export interface DemoProvincePlan {
  /** Intake records in push order; the versions of one licence in sourceVersion order. */
  records: Record<string, unknown>[];
  licences: PlannedLicence[];
  /** Open non-standard items the plan leaves, by expected rule code. */
  defects: { sourceRecordId: string; code: string }[];
}

/** A uniform number in [0, 1) from a licence number and a purpose: the plan's only randomness. */
export function demoRandom(n: number, salt: number): number {
  let h = Math.imul(n + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

function pick<T>(weighted: readonly [T, number][], r: number): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [value, w] of weighted) {
    x -= w;
    if (x < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}

const at = <T>(list: readonly T[], r: number): T => list[Math.floor(r * list.length)]!;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Overrides of sampleRecord; `face` is merged field by field across versions. */
type Overrides = RecordOverrides & { face?: Record<string, unknown> };

interface Person {
  regionCode: string;
  index: number;
  holder: DemoHolder;
  face: { name: string; gender: unknown; birthDate: unknown };
}

/** A natural person with a valid citizen ID of `regionCode` (sampleRecord makes the ID). */
function makePerson(regionCode: string, index: number, n: number): Person {
  const base = sampleRecord(`${MOT}071`, undefined, { index, regionCode });
  const name = at(SURNAMES, demoRandom(n, 11)) + at(GIVEN_NAMES, demoRandom(n, 12));
  return {
    regionCode,
    index,
    holder: { idType: '111', id: base.holder.id, name, phone: `139${pad(n, 8)}` },
    face: { name, gender: base.face.gender, birthDate: base.face.birthDate },
  };
}

function makeCompany(
  city: City,
  regionCode: string,
  serial: number,
  trades: string[],
  phone: string,
): DemoHolder {
  const base = sampleRecord(`${MOT}008`, undefined, { index: serial, regionCode });
  const name = `${city.name.slice(0, -1)}${at(COMPANY_WORDS, demoRandom(serial, 21))}${at(trades, demoRandom(serial, 22))}有限公司`;
  return { idType: '001', id: base.holder.id, name, phone };
}

function address(regionCode: string, n: number): string {
  return `${requireRegion(regionCode).fullName}${at(STREETS, demoRandom(n, 31))}${1 + Math.floor(demoRandom(n, 32) * 300)}号`;
}

/** What a 变更 changes, by kind. */
function changedFace(kind: KindShort, city: City, n: number): Record<string, unknown> {
  switch (kind) {
    case '071':
    case '072':
    case '075':
      return { employer: `${city.name.slice(0, -1)}${at(COMPANY_WORDS, demoRandom(n, 41))}运输有限公司` };
    case '074':
      return { legalRepresentative: at(SURNAMES, demoRandom(n, 42)) + at(GIVEN_NAMES, demoRandom(n, 43)) };
    case '073':
      return { operatingArea: `${city.name}全域` };
    case '013':
      return { businessScope: '道路普通货物运输、货物专用运输（集装箱）' };
    default:
      return { address: address(city.counties[0]!, n + 7) };
  }
}

function hasField(kindCode: string, key: string): boolean {
  return getKind(DEFAULT_CATALOG, kindCode).fields.some((f) => f.key === key);
}

/** The last days of the (fixed) demo history; no record is dated later. */
const LAST_EVENT_DAY = '2025-12-20';
const minDate = (a: string, b: string) => (a < b ? a : b);

/** Whole years; 29 February becomes 28 February (always a real day). */
function addYears(date: string, years: number): string {
  const moved = `${Number(date.slice(0, 4)) + years}${date.slice(4)}`;
  return moved.endsWith('-02-29') ? moved.replace(/-29$/, '-28') : moved;
}

/** Builds the whole province. `licenceCount` defaults to DEMO_LICENCES. */
export function planDemoProvince(licenceCount = DEMO_LICENCES): DemoProvincePlan {
  const records: Record<string, unknown>[] = [];
  const licences: PlannedLicence[] = [];
  const defects: DemoProvincePlan['defects'] = [];
  const cityWeights = CITIES.map((c): [City, number] => [c, c.weight]);
  // Holders of 从业资格证 not yet given a taxi driver's certificate, per city.
  const drivers = new Map<string, Person[]>();

  const fleets = new Map<string, DemoHolder[]>();
  CITIES.forEach((city, ci) => {
    fleets.set(
      city.code,
      Array.from({ length: FLEETS_PER_CITY }, (_, f) =>
        makeCompany(city, city.counties[0]!, ci * 10 + f, FREIGHT_TRADES, `137${pad(ci * 10 + f, 8)}`),
      ),
    );
  });

  const push = (
    licence: PlannedLicence,
    versions: { event: IntakeEvent; overrides?: Overrides; reason?: string }[],
    base: Overrides,
    n: number,
  ) => {
    licences.push(licence);
    versions.forEach((v, i) => {
      const data =
        v.event === 'suspend' || v.event === 'resume' || v.event === 'revoke'
          ? { kind: licence.kind, regionCode: licence.regionCode }
          : sampleRecord(
              licence.kind,
              { ...base, ...v.overrides, face: { ...base.face, ...v.overrides?.face } },
              { index: n, regionCode: licence.regionCode },
            );
      records.push({
        ...data,
        sourceRecordId: licence.sourceRecordId,
        sourceVersion: i + 1,
        event: v.event,
        ...(v.reason ? { reason: v.reason } : {}),
      });
    });
  };

  for (let n = 0; n < licenceCount; n++) {
    const fleetRound = n < CITIES.length * FLEETS_PER_CITY;
    const city = fleetRound ? CITIES[Math.floor(n / FLEETS_PER_CITY)]! : pick(cityWeights, demoRandom(n, 1));
    // The first licences give every fleet company its 道路运输经营许可证.
    const short: KindShort = fleetRound ? '008' : pick(KIND_WEIGHTS, demoRandom(n, 2));
    const kind = getKind(DEFAULT_CATALOG, `${MOT}${short}`);
    const cityFleets = fleets.get(city.code)!;
    const fleet = fleetRound
      ? cityFleets[n % FLEETS_PER_CITY]
      : (short === '013' && demoRandom(n, 3) < 0.55) || (short === '016' && demoRandom(n, 3) < 0.5)
        ? at(cityFleets, demoRandom(n, 4))
        : undefined;
    const regionCode = fleet
      ? city.counties[0]!
      : CITY_LEVEL.has(short)
        ? city.code
        : at(city.counties, demoRandom(n, 5));

    let scenario: Scenario = fleetRound ? 'plain' : pick(SCENARIO_WEIGHTS, demoRandom(n, 6));
    const years = 'years' in kind.validity ? kind.validity.years : undefined;
    if (scenario === 'expired' && years === undefined) scenario = 'revoked';

    // Holder: a fleet company, a driver already holding 从业资格证, or someone new.
    let holder: DemoHolder;
    let personFace: Person['face'] | undefined;
    if (!PRACTITIONER_KINDS.has(short)) {
      holder =
        fleet ??
        makeCompany(city, regionCode, 1000 + n, COMPANY_TRADES[short] ?? FREIGHT_TRADES, `139${pad(n, 8)}`);
    } else {
      const pool = drivers.get(city.code) ?? [];
      const reuse = (short === '072' || short === '075') && pool.length > 0 && demoRandom(n, 7) < 0.7;
      const person = reuse
        ? pool.splice(Math.floor(demoRandom(n, 8) * pool.length), 1)[0]!
        : makePerson(regionCode, 100 + n, n);
      if (short === '071') drivers.set(city.code, [...pool, person]);
      holder = person.holder;
      personFace = person.face;
    }

    // Dates: expired licences ran out 2024-03 … 2025-09; the others stay in force for years.
    const d1 =
      scenario === 'expired'
        ? addYears(addDays('2024-03-01', Math.floor(demoRandom(n, 9) * 550)), -(years ?? 0))
        : addDays('2024-12-01', Math.floor(demoRandom(n, 9) * 330));
    const d2 = minDate(addDays(d1, 30 + Math.floor(demoRandom(n, 10) * 150)), LAST_EVENT_DAY);
    const d3 = minDate(addDays(d2, 20 + Math.floor(demoRandom(n, 13) * 60)), LAST_EVENT_DAY);

    const face: Record<string, unknown> = { ...personFace };
    if (hasField(kind.code, 'ownerName')) face.ownerName = holder.name;
    if (hasField(kind.code, 'address')) face.address = address(regionCode, n);
    if (hasField(kind.code, 'firstIssueDate')) face.firstIssueDate = minDate('2019-06-18', d1);
    if (hasField(kind.code, 'plateNumber')) {
      face.plateNumber = `辽${city.plateLetter}${short === '073' ? 'D' : ''}${pad(n, 5)}`;
    }
    if (hasField(kind.code, 'operatingArea')) face.operatingArea = city.name;
    const validity = years ? { validFrom: d1, validTo: addDays(addYears(d1, years), -1) } : {};
    // 从业资格证 is numbered by its holder's ID number.
    const number = short === '071' ? { certificateNumber: holder.id } : {};
    const base: Overrides = { holder, face, issueDate: d1, ...validity, ...number };
    const on = (date: string, extra: Record<string, unknown> = {}): Overrides => ({
      issueDate: date,
      face: { ...extra },
    });
    const change = changedFace(short, city, n);
    const renewal: IntakeEvent =
      short === '013' || short === '073' || short === '008' ? 'annual_review' : 'reissue';
    const licence: PlannedLicence = {
      sourceRecordId: `LNYZ-${regionCode}-${short}-${pad(n, 6)}`,
      kind: kind.code,
      regionCode,
      scenario,
      holder,
    };

    switch (scenario) {
      case 'plain':
      case 'expired':
        push(licence, [{ event: 'issue' }], base, n);
        break;
      case 'changed':
        push(licence, [{ event: 'issue' }, { event: 'change', overrides: on(d2, change) }], base, n);
        break;
      case 'renewed':
        push(
          licence,
          [
            { event: 'issue' },
            { event: 'change', overrides: on(d2, change) },
            { event: renewal, overrides: on(d3, change) },
          ],
          base,
          n,
        );
        break;
      case 'paper':
        push(licence, [{ event: 'baseline' }], base, n);
        break;
      case 'converted':
        push(licence, [{ event: 'baseline' }, { event: 'annual_review', overrides: on(d2) }], base, n);
        break;
      case 'revoked':
        push(
          licence,
          [
            { event: 'issue' },
            ...(demoRandom(n, 14) < 0.5 ? [{ event: 'change' as const, overrides: on(d2, change) }] : []),
            {
              event: 'revoke',
              reason: at(['经营者申请注销', '车辆报废', '吊销道路运输经营许可'], demoRandom(n, 15)),
            },
          ],
          base,
          n,
        );
        break;
      case 'suspended':
      case 'resumed':
        push(
          licence,
          [
            { event: 'issue' },
            { event: 'suspend', reason: '未按规定参加年度审验，暂停使用' },
            ...(scenario === 'resumed' ? [{ event: 'resume' as const, reason: '已补办年度审验' }] : []),
          ],
          base,
          n,
        );
        break;
    }

    if (n % DEFECT_EVERY === DEFECT_EVERY - 1) planDefect(n, city, records, licences, defects);
  }
  return { records, licences, defects };
}

/** A record with one typical mistake; it stays an open non-standard item. */
function planDefect(
  n: number,
  city: City,
  records: Record<string, unknown>[],
  licences: PlannedLicence[],
  defects: DemoProvincePlan['defects'],
): void {
  const defect = DEMO_DEFECTS[Math.floor(n / DEFECT_EVERY) % DEMO_DEFECTS.length]!;
  const short = at(defect.kinds, demoRandom(n, 51)) as KindShort;
  const kindCode = `${MOT}${short}`;
  const regionCode = CITY_LEVEL.has(short) ? city.code : at(city.counties, demoRandom(n, 52));
  // Indices past every licence's, so the holder is nobody else's.
  const index = 500_000 + n;
  const good = sampleRecord(kindCode, { issueDate: '2025-11-03' }, { index, regionCode });
  const flip = (s: string) => s.slice(0, -1) + (s.endsWith('0') ? '1' : s.endsWith('X') ? '1' : '0');
  let overrides: RecordOverrides;
  switch (defect.code) {
    case 'ID_CHECK_DIGIT': {
      const id = flip(good.holder.id);
      overrides = { holder: { id }, ...(short === '071' ? { certificateNumber: id } : {}) };
      break;
    }
    case 'PLATE_FORMAT':
      overrides = {
        face: { plateNumber: `辽${city.plateLetter}${short === '073' ? 'D' : ''}I${pad(n % 1000, 3)}O` },
      };
      break;
    case 'REQUIRED':
      overrides = { face: { businessScope: undefined } };
      break;
    case 'DATE_ORDER':
      overrides = { validFrom: '2025-11-03', validTo: '2025-10-31' };
      break;
    case 'USCC_CHECK':
      overrides = { issuer: { code: flip(good.issuer.code) } };
      break;
  }
  const sourceRecordId = `LNYZ-${regionCode}-${short}-X${pad(n, 5)}`;
  const record = sampleRecord(kindCode, { issueDate: '2025-11-03', ...overrides }, { index, regionCode });
  records.push({ ...record, sourceRecordId, sourceVersion: 1, event: 'issue' });
  licences.push({
    sourceRecordId,
    kind: kindCode,
    regionCode,
    scenario: 'defect',
    holder: { ...record.holder, phone: record.holder.phone ?? '' },
  });
  defects.push({ sourceRecordId, code: defect.code });
}

/** Short Chinese name of a kind, for printed summaries. */
export function kindShortName(kindCode: string): string {
  return getKind(DEFAULT_CATALOG, kindCode).shortName;
}
