import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CatalogContent,
  catalogDigest,
  checkCatalog,
  DEFAULT_CATALOG,
  diffCatalog,
  getKind,
} from '../../../src/domain/catalog/index.ts';
import { validateUscc } from '../../../src/domain/checkdigits.ts';
import { isAppError } from '../../../src/errors.ts';
import { KIND } from './fixtures.ts';

/** Face field keys of REFERENCE §2: the intake contract, which must not drift. */
const FACE_KEYS: Record<string, string[]> = {
  [KIND.transport]: [
    'ownerName',
    'address',
    'plateNumber',
    'plateColor',
    'businessLicenseNumber',
    'economicType',
    'vehicleType',
    'capacity',
    'lengthMm',
    'widthMm',
    'heightMm',
    'businessScope',
    'firstIssueDate',
    'remarks',
  ],
  [KIND.rideHailingVehicle]: [
    'ownerName',
    'plateNumber',
    'plateColor',
    'vehicleType',
    'operatingArea',
    'firstIssueDate',
  ],
  [KIND.qualification]: [
    'name',
    'gender',
    'nationality',
    'birthDate',
    'address',
    'drivingClass',
    'qualificationCategories',
    'firstIssueDate',
    'employer',
    'archiveNumber',
  ],
  [KIND.rideHailingDriver]: [
    'name',
    'gender',
    'birthDate',
    'drivingClass',
    'firstIssueDate',
    'operatingArea',
    'employer',
  ],
  [KIND.taxiDriver]: [
    'name',
    'gender',
    'birthDate',
    'drivingClass',
    'firstIssueDate',
    'employer',
    'archiveNumber',
  ],
  [KIND.businessLicence]: ['ownerName', 'address', 'economicType', 'businessScope', 'legalRepresentative'],
  [KIND.dangerousGoods]: ['ownerName', 'address', 'businessScope', 'legalRepresentative', 'vehicleCount'],
  [KIND.radioactive]: ['ownerName', 'address', 'businessScope', 'legalRepresentative'],
  [KIND.rideHailingBusiness]: [
    'ownerName',
    'address',
    'legalRepresentative',
    'operatingArea',
    'businessScope',
  ],
};

/** Mandatory face fields per REFERENCE §2 ("req"). */
const REQUIRED_KEYS: Record<string, string[]> = {
  [KIND.transport]: [
    'ownerName',
    'address',
    'plateNumber',
    'plateColor',
    'businessLicenseNumber',
    'vehicleType',
    'capacity',
    'businessScope',
    'firstIssueDate',
  ],
  [KIND.rideHailingVehicle]: ['ownerName', 'plateNumber', 'plateColor', 'operatingArea', 'firstIssueDate'],
  [KIND.qualification]: [
    'name',
    'gender',
    'nationality',
    'birthDate',
    'qualificationCategories',
    'firstIssueDate',
  ],
  [KIND.rideHailingDriver]: ['name', 'gender', 'birthDate', 'firstIssueDate'],
  [KIND.taxiDriver]: ['name', 'gender', 'birthDate', 'firstIssueDate', 'employer'],
  [KIND.businessLicence]: ['ownerName', 'address', 'businessScope'],
  [KIND.dangerousGoods]: ['ownerName', 'address', 'businessScope'],
  [KIND.radioactive]: ['ownerName', 'address', 'businessScope'],
  [KIND.rideHailingBusiness]: [
    'ownerName',
    'address',
    'legalRepresentative',
    'operatingArea',
    'businessScope',
  ],
};

function copy(): CatalogContent {
  return structuredClone(DEFAULT_CATALOG);
}

describe('certificate catalog', () => {
  test('the nine kinds with their MOT type codes, families and standards', () => {
    const byCode = new Map(DEFAULT_CATALOG.kinds.map((k) => [k.code, k]));
    assert.equal(DEFAULT_CATALOG.kinds.length, 9);
    const expected: [string, string, string, string][] = [
      [KIND.qualification, '道路运输从业人员从业资格证', 'practitioner', 'JT/T 1290—2019'],
      [KIND.rideHailingDriver, '网络预约出租汽车驾驶员证', 'practitioner', 'JT/T 1290—2019'],
      [KIND.taxiDriver, '巡游出租汽车驾驶员证', 'practitioner', 'JT/T 1290—2019'],
      [KIND.businessLicence, '道路运输经营许可证', 'business', 'JT/T 1291—2019'],
      [KIND.dangerousGoods, '道路危险货物运输许可证', 'business', 'JT/T 1291—2019'],
      [KIND.radioactive, '放射性物品道路运输许可证', 'business', 'JT/T 1291—2019'],
      [KIND.rideHailingBusiness, '网络预约出租汽车经营许可证', 'business', 'JT/T 1291—2019'],
      [KIND.transport, '道路运输证', 'vehicle', 'JT/T 1292—2019'],
      [KIND.rideHailingVehicle, '网络预约出租汽车运输证', 'vehicle', 'JT/T 1292—2019'],
    ];
    for (const [code, name, family, standard] of expected) {
      const kind = byCode.get(code);
      assert.ok(kind, code);
      assert.equal(kind.name, name);
      assert.equal(kind.family, family);
      assert.equal(kind.standard, standard);
      assert.equal(kind.code.length, 21);
      assert.deepEqual(
        validateUscc(kind.code.slice(0, 18)),
        { ok: true },
        'type codes start with the MOT USCC',
      );
    }
  });

  test('face field keys and mandatory flags follow the intake contract', () => {
    for (const kind of DEFAULT_CATALOG.kinds) {
      assert.deepEqual(
        kind.fields.map((f) => f.key),
        FACE_KEYS[kind.code],
        kind.name,
      );
      assert.deepEqual(
        kind.fields.filter((f) => f.required).map((f) => f.key),
        REQUIRED_KEYS[kind.code],
        kind.name,
      );
      assert.ok(
        kind.fields.every((f) => /\p{Script=Han}/u.test(f.label)),
        'labels are Chinese',
      );
    }
  });

  test('holder ID types by family: persons for practitioners, organisations for business kinds', () => {
    for (const kind of DEFAULT_CATALOG.kinds) {
      if (kind.family === 'practitioner') {
        assert.ok(kind.holderIdTypes.includes('111') && !kind.holderIdTypes.includes('001'), kind.name);
      } else {
        assert.ok(kind.holderIdTypes.includes('001'), kind.name);
      }
    }
  });

  test('validity, review and numbering rules are data', () => {
    const k071 = getKind(DEFAULT_CATALOG, KIND.qualification);
    assert.deepEqual(k071.validity, { years: 6 });
    assert.equal(k071.review.kind, 'renewal');
    assert.equal(getKind(DEFAULT_CATALOG, KIND.transport).review.kind, 'annual');
    assert.equal(getKind(DEFAULT_CATALOG, KIND.transport).numberPattern, '^\\d{12}$');
    assert.equal(getKind(DEFAULT_CATALOG, KIND.businessLicence).numberPattern, '^\\d{12}$');
    for (const kind of DEFAULT_CATALOG.kinds) {
      assert.doesNotThrow(() => new RegExp(kind.numberPattern, 'u'));
      assert.match(kind.collectionStartDate, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(kind.templateId.length > 0);
    }
  });

  test('code tables of REFERENCE §3', () => {
    const t = DEFAULT_CATALOG.codeTables;
    const codes = (name: string) => t[name]?.entries.map((e) => e.code) ?? [];
    assert.deepEqual(codes('certificateStatus').sort(), ['01', '02', '03', '04', '05', '09', '10']);
    assert.deepEqual(codes('plateColor'), ['1', '2', '3', '4', '5', '9', '91', '92', '93', '94']);
    assert.deepEqual(codes('gender'), ['0', '1', '2', '9']);
    assert.equal(codes('holderIdType').length, 16);
    assert.equal(codes('qualificationCategory').length, 8);
    assert.ok(codes('drivingClass').includes('A1') && codes('drivingClass').includes('C1'));
    assert.ok(codes('economicType').length > 10);
  });

  test('getKind throws KIND_UNKNOWN', () => {
    assert.equal(getKind(DEFAULT_CATALOG, KIND.transport).shortName, '道路运输证');
    assert.throws(
      () => getKind(DEFAULT_CATALOG, '11100000000019713D999'),
      (e) => isAppError(e) && e.code === 'KIND_UNKNOWN' && e.message.includes('11100000000019713D999'),
    );
  });

  test('the shipped catalog is frozen', () => {
    assert.ok(Object.isFrozen(DEFAULT_CATALOG.kinds[0]?.fields[0]));
    assert.throws(() => {
      (DEFAULT_CATALOG.kinds as unknown[]).push({});
    }, TypeError);
  });

  test('catalogDigest is canonical JSON: key order does not matter, content does', () => {
    const digest = catalogDigest(DEFAULT_CATALOG);
    assert.equal(JSON.stringify(JSON.parse(digest)), digest, 'no whitespace');
    const reordered = JSON.parse(JSON.stringify(DEFAULT_CATALOG), (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    );
    assert.equal(catalogDigest(reordered), digest);
    const changed = copy();
    changed.kinds[0]!.fields[0]!.maxLength = 51;
    assert.notEqual(catalogDigest(changed), digest);
  });

  test('diffCatalog lists what changed, by kind code and field key', () => {
    assert.deepEqual(diffCatalog(DEFAULT_CATALOG, copy()), []);
    const next = copy();
    const transport = next.kinds.find((k) => k.code === KIND.transport)!;
    transport.fields.find((f) => f.key === 'remarks')!.maxLength = 1000;
    transport.fields.push({
      key: 'vin',
      label: '车辆识别代号',
      type: 'string',
      required: false,
      maxLength: 17,
    });
    transport.collectionStartDate = '2021-01-01';
    next.kinds = next.kinds.filter((k) => k.code !== KIND.radioactive);
    next.codeTables.plateColor!.entries.push({ code: '95', name: '新颜色' });
    const changes = diffCatalog(DEFAULT_CATALOG, next);
    const paths = changes.map((c) => `${c.change} ${c.path}`).sort();
    assert.deepEqual(paths, [
      `added codeTables[plateColor].entries[95]`,
      `added kinds[${KIND.transport}].fields[vin]`,
      `changed kinds[${KIND.transport}].collectionStartDate`,
      `changed kinds[${KIND.transport}].fields`,
      `changed kinds[${KIND.transport}].fields[remarks].maxLength`,
      `removed kinds[${KIND.radioactive}]`,
    ]);
    const start = changes.find((c) => c.path.endsWith('collectionStartDate'));
    assert.equal(start?.before, '2020-01-01');
    assert.equal(start?.after, '2021-01-01');
  });

  test('checkCatalog passes the default catalog and reports every problem of a broken one', () => {
    assert.deepEqual(checkCatalog(DEFAULT_CATALOG), []);
    const broken = copy();
    const k = broken.kinds[0]!;
    k.numberPattern = '([';
    k.fields.push({ key: 'name', label: '重复', type: 'string', required: false });
    k.fields.push({ key: 'x', label: '代码', type: 'code', required: false, codeTable: 'nope' });
    k.crossChecks.push({ type: 'fieldsEqual', field: 'face.missing', other: 'holder.name' });
    k.holderIdTypes.push('777');
    broken.kinds.push(structuredClone(broken.kinds[1]!));
    const problems = checkCatalog(broken);
    for (const needle of ['编号规则', '字段名重复', '代码表nope', 'face.missing', '777', '代码重复']) {
      assert.ok(
        problems.some((p) => p.includes(needle)),
        `${needle} in ${problems.join(' | ')}`,
      );
    }
  });
});
