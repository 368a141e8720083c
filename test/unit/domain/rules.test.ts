import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type CatalogContent, DEFAULT_CATALOG } from '../../../src/domain/catalog/index.ts';
import { computeUsccCheckChar, mod112CheckChar } from '../../../src/domain/checkdigits.ts';
import { listRegions } from '../../../src/domain/regions.ts';
import {
  type IntakeRecord,
  type RuleCode,
  ruleCodes,
  sampleRecord,
  sampleRecords,
  type ValidationIssue,
  validateRecord,
} from '../../../src/domain/rules/index.ts';
import {
  ALL_KINDS,
  COMPANY_USCC,
  FEMALE_ID,
  KIND,
  MALE_ID,
  PROVINCE,
  TODAY,
  validRecord,
} from './fixtures.ts';

const ctx = { catalog: DEFAULT_CATALOG, provinceCode: PROVINCE, today: TODAY };

function validate(record: unknown, catalog: CatalogContent = DEFAULT_CATALOG): ValidationIssue[] {
  return validateRecord(record, { ...ctx, catalog });
}

/** The record of `kind` after `mutate`; mutate edits a fresh copy in place. */
function recordWith(kind: string, mutate: (r: IntakeRecord & Record<string, unknown>) => void): IntakeRecord {
  const r = validRecord(kind) as IntakeRecord & Record<string, unknown>;
  mutate(r);
  return r;
}

const withCheck = (body17: string) => body17 + mod112CheckChar(body17);
const pairs = (issues: ValidationIssue[]) => issues.map((i) => `${i.code} ${i.field}`);

interface Case {
  name: string;
  record: unknown;
  catalog?: CatalogContent;
  /** Exactly these issues, as `CODE field`. */
  expect: string[];
}

function brokenCatalog(edit: (c: CatalogContent) => void): CatalogContent {
  const c = structuredClone(DEFAULT_CATALOG);
  edit(c);
  return c;
}

const CASES: Case[] = [
  { name: 'not an object', record: null, expect: ['RECORD_SHAPE '] },
  { name: 'an array', record: [validRecord(KIND.transport)], expect: ['RECORD_SHAPE '] },
  {
    name: 'unknown kind: envelope still checked, face skipped',
    record: recordWith(KIND.transport, (r) => {
      r.kind = '11100000000019713D999';
      r.issuer.code = 'x';
    }),
    expect: ['KIND_UNKNOWN kind', 'USCC_FORMAT issuer.code'],
  },
  {
    name: 'missing kind',
    record: recordWith(KIND.transport, (r) => {
      delete (r as Partial<IntakeRecord>).kind;
    }),
    expect: ['REQUIRED kind'],
  },
  {
    name: 'kind of the wrong type',
    record: recordWith(KIND.transport, (r) => {
      r.kind = 13 as never;
    }),
    expect: ['TYPE kind'],
  },
  {
    name: 'a broken number pattern in the catalog',
    record: validRecord(KIND.transport),
    catalog: brokenCatalog((c) => {
      c.kinds.find((k) => k.code === KIND.transport)!.numberPattern = '([';
    }),
    expect: ['CATALOG_INVALID certificateNumber'],
  },
  {
    name: 'a catalog field pointing at a missing code table',
    record: validRecord(KIND.transport),
    catalog: brokenCatalog((c) => {
      c.kinds.find((k) => k.code === KIND.transport)!.fields.find((f) => f.key === 'plateColor')!.codeTable =
        'gone';
    }),
    expect: ['CATALOG_INVALID face.plateColor'],
  },
  {
    name: 'missing mandatory face field, blank text, empty list',
    record: recordWith(KIND.qualification, (r) => {
      delete r.face.nationality;
      r.face.name = '   ';
      r.face.qualificationCategories = [];
    }),
    expect: ['REQUIRED face.name', 'REQUIRED face.nationality', 'REQUIRED face.qualificationCategories'],
  },
  {
    name: 'validity dates are mandatory when the kind expires',
    record: recordWith(KIND.qualification, (r) => {
      delete r.validFrom;
      delete r.validTo;
    }),
    expect: ['REQUIRED validFrom', 'REQUIRED validTo'],
  },
  {
    name: 'missing face altogether: every mandatory field reported',
    record: recordWith(KIND.rideHailingVehicle, (r) => {
      delete (r as Partial<IntakeRecord>).face;
    }),
    expect: [
      'REQUIRED face.ownerName',
      'REQUIRED face.plateNumber',
      'REQUIRED face.plateColor',
      'REQUIRED face.operatingArea',
      'REQUIRED face.firstIssueDate',
    ],
  },
  {
    name: 'wrong JSON types',
    record: recordWith(KIND.transport, (r) => {
      r.face.lengthMm = '13000';
      r.face.plateColor = 2;
      r.face.ownerName = ['x'];
    }),
    expect: ['TYPE face.ownerName', 'TYPE face.plateColor', 'TYPE face.lengthMm'],
  },
  {
    name: 'face not an object',
    record: recordWith(KIND.transport, (r) => {
      r.face = 'x' as never;
    }),
    expect: ['TYPE face'],
  },
  {
    name: 'holder not an object',
    record: recordWith(KIND.transport, (r) => {
      r.holder = 'x' as never;
    }),
    expect: ['TYPE holder'],
  },
  {
    name: 'list items of the wrong type or outside the code table',
    record: recordWith(KIND.qualification, (r) => {
      r.face.qualificationCategories = ['经营性道路旅客运输驾驶员', 3, '驾驶员'];
    }),
    expect: ['TYPE face.qualificationCategories[1]', 'CODE_TABLE face.qualificationCategories[2]'],
  },
  {
    name: 'too long, counted in characters',
    record: recordWith(KIND.transport, (r) => {
      r.face.remarks = '备'.repeat(501);
      r.face.businessScope = '货'.repeat(500);
    }),
    expect: ['MAX_LENGTH face.remarks'],
  },
  {
    name: 'field pattern',
    record: recordWith(KIND.transport, (r) => {
      r.face.businessLicenseNumber = '辽交运管许可210102000001号';
    }),
    expect: ['PATTERN face.businessLicenseNumber'],
  },
  {
    name: 'code tables: codes, names where allowed, code sequences',
    record: recordWith(KIND.qualification, (r) => {
      r.face.gender = '男';
      r.face.drivingClass = 'A2A2';
      r.holder.idType = '123';
    }),
    expect: ['CODE_TABLE holder.idType', 'CODE_TABLE face.gender', 'CODE_TABLE face.drivingClass'],
  },
  {
    name: 'dates that do not exist',
    record: recordWith(KIND.qualification, (r) => {
      r.issueDate = '2025-02-29';
      r.validFrom = '2025/03/01';
    }),
    expect: ['DATE_INVALID issueDate', 'DATE_INVALID validFrom'],
  },
  {
    name: 'dates in the future',
    record: recordWith(KIND.transport, (r) => {
      r.issueDate = '2025-06-02';
      r.face.firstIssueDate = '2026-01-01';
    }),
    expect: ['DATE_FUTURE issueDate', 'DATE_FUTURE face.firstIssueDate', 'DATE_ORDER face.firstIssueDate'],
  },
  {
    name: 'date order: validity, issue before end, first issue not after issue',
    record: recordWith(KIND.businessLicence, (r) => {
      r.validFrom = '2029-02-28';
      r.validTo = '2025-03-01';
    }),
    expect: ['DATE_ORDER validTo', 'DATE_ORDER validTo'],
  },
  {
    name: 'first issue after issue date',
    record: recordWith(KIND.transport, (r) => {
      r.face.firstIssueDate = '2025-03-02';
      r.issueDate = '2025-03-01';
    }),
    expect: ['DATE_ORDER face.firstIssueDate'],
  },
  {
    name: 'integers below the minimum',
    record: recordWith(KIND.transport, (r) => {
      r.face.lengthMm = 0;
      r.face.widthMm = -5;
      r.face.heightMm = 1.5;
    }),
    expect: ['INTEGER_RANGE face.lengthMm', 'INTEGER_RANGE face.widthMm', 'TYPE face.heightMm'],
  },
  {
    name: 'capacity with unit, positive, whole seats',
    record: recordWith(KIND.transport, (r) => {
      r.face.capacity = '45.5座';
    }),
    expect: ['CAPACITY_FORMAT face.capacity'],
  },
  {
    name: 'plate number',
    record: recordWith(KIND.transport, (r) => {
      r.face.plateNumber = '辽AI2345';
    }),
    expect: ['PLATE_FORMAT face.plateNumber'],
  },
  {
    name: 'phone',
    record: recordWith(KIND.transport, (r) => {
      r.holder.phone = '+8613800138000';
    }),
    expect: ['PHONE_FORMAT holder.phone'],
  },
  {
    name: 'citizen ID length',
    record: recordWith(KIND.taxiDriver, (r) => {
      r.holder.id = '21010219900708204';
    }),
    expect: ['ID_FORMAT holder.id'],
  },
  {
    name: 'citizen ID check digit',
    record: recordWith(KIND.taxiDriver, (r) => {
      r.holder.id = '210102199007082045';
    }),
    expect: ['ID_CHECK_DIGIT holder.id'],
  },
  {
    name: 'citizen ID birth date',
    record: recordWith(KIND.taxiDriver, (r) => {
      r.holder.id = withCheck('21010219900230204');
    }),
    expect: ['ID_BIRTH_DATE holder.id'],
  },
  {
    name: 'citizen ID region',
    record: recordWith(KIND.taxiDriver, (r) => {
      r.holder.id = withCheck('99010219900708204');
    }),
    expect: ['ID_REGION holder.id'],
  },
  {
    name: 'face birth date differs from the ID number',
    record: recordWith(KIND.taxiDriver, (r) => {
      r.face.birthDate = '1990-07-09';
    }),
    expect: ['BIRTH_DATE_MISMATCH face.birthDate'],
  },
  {
    name: 'face gender differs from the ID number',
    record: recordWith(KIND.taxiDriver, (r) => {
      r.face.gender = '1';
    }),
    expect: ['GENDER_MISMATCH face.gender'],
  },
  {
    name: 'USCC shape',
    record: recordWith(KIND.businessLicence, (r) => {
      r.issuer.code = '1121010273000001O6';
    }),
    expect: ['USCC_FORMAT issuer.code'],
  },
  {
    name: 'USCC check character, for the issuer and for an organisation holder',
    record: recordWith(KIND.businessLicence, (r) => {
      r.issuer.code = '112101027300000107';
      r.holder.id = '91210102MA0QXY126W';
    }),
    expect: ['USCC_CHECK issuer.code', 'USCC_CHECK holder.id'],
  },
  {
    name: 'USCC organisation code check',
    record: recordWith(KIND.businessLicence, (r) => {
      const body = '9121010201234567X';
      r.holder.id = body + computeUsccCheckChar(body);
    }),
    expect: ['USCC_CHECK holder.id'],
  },
  {
    name: 'holder ID type not fit for the kind',
    record: recordWith(KIND.qualification, (r) => {
      r.holder.idType = '001';
      r.holder.id = COMPANY_USCC;
      r.certificateNumber = COMPANY_USCC;
    }),
    expect: ['HOLDER_ID_TYPE holder.idType'],
  },
  {
    name: 'region code that does not exist',
    record: recordWith(KIND.transport, (r) => {
      r.regionCode = '210101';
    }),
    expect: ['REGION_UNKNOWN regionCode'],
  },
  {
    name: 'region code of another province',
    record: recordWith(KIND.transport, (r) => {
      r.regionCode = '110101';
    }),
    expect: ['REGION_OUTSIDE_PROVINCE regionCode'],
  },
  {
    name: 'certificate number pattern of the kind',
    record: recordWith(KIND.transport, (r) => {
      r.certificateNumber = '21010210000';
    }),
    expect: ['NUMBER_PATTERN certificateNumber'],
  },
  {
    name: 'face name and holder name, number and holder ID must agree',
    record: recordWith(KIND.qualification, (r) => {
      r.face.name = '张卫';
      r.certificateNumber = FEMALE_ID;
    }),
    expect: ['FIELD_MISMATCH face.name', 'FIELD_MISMATCH certificateNumber'],
  },
  {
    name: 'unknown face key',
    record: recordWith(KIND.transport, (r) => {
      r.face.colour = '黄';
    }),
    expect: ['UNKNOWN_FIELD face.colour'],
  },
];

describe('standard checks (不规范数据)', () => {
  test('one valid record per kind passes with zero issues', () => {
    for (const kind of ALL_KINDS) assert.deepEqual(validate(validRecord(kind)), [], kind);
  });

  for (const c of CASES) {
    test(c.name, () => {
      assert.deepEqual(pairs(validate(c.record, c.catalog)).sort(), [...c.expect].sort());
    });
  }

  test('every rule code is triggered by at least one case', () => {
    const seen = new Set(CASES.flatMap((c) => c.expect.map((e) => e.split(' ')[0])));
    assert.deepEqual(
      Object.keys(ruleCodes).filter((code) => !seen.has(code)),
      [],
    );
  });

  test('allowed on purpose', () => {
    const ok: [string, (r: IntakeRecord & Record<string, unknown>) => void][] = [
      // Converted from paper: validity began before the e-certificate was issued.
      [
        KIND.qualification,
        (r) => {
          r.validFrom = '2019-03-01';
        },
      ],
      // A kind without expiry may carry no validity dates (道路运输证 here).
      [
        KIND.transport,
        (r) => {
          delete r.validFrom;
          delete r.validTo;
        },
      ],
      [
        KIND.transport,
        (r) => {
          r.face.capacity = '45座';
          r.face.plateNumber = '辽A12345D';
        },
      ],
      [
        KIND.qualification,
        (r) => {
          r.face.drivingClass = 'C1E';
        },
      ],
      [
        KIND.businessLicence,
        (r) => {
          r.face.economicType = '173';
        },
      ],
      [
        KIND.taxiDriver,
        (r) => {
          r.face.gender = '9';
        },
      ],
      [
        KIND.transport,
        (r) => {
          delete r.holder.phone;
        },
      ],
      [
        KIND.transport,
        (r) => {
          r.face.remarks = null;
        },
      ],
      // Intake metadata is the intake layer's business.
      [
        KIND.transport,
        (r) => {
          Object.assign(r, { sourceRecordId: 'A1', sourceVersion: 3, event: 'issue', reason: '新办' });
        },
      ],
      [
        KIND.transport,
        (r) => {
          r.regionCode = '210000';
        },
      ],
      [
        KIND.qualification,
        (r) => {
          r.face.firstIssueDate = r.issueDate;
        },
      ],
    ];
    for (const [kind, mutate] of ok)
      assert.deepEqual(validate(recordWith(kind, mutate)), [], mutate.toString());
  });

  test('every problem of a record is reported at once', () => {
    const record = recordWith(KIND.qualification, (r) => {
      r.regionCode = '999999';
      r.issuer.code = '112101027300000107';
      r.holder.id = '210102198503151236';
      r.holder.phone = '123';
      r.validTo = '2024-01-01';
      r.face.gender = '3';
      r.face.qualificationCategories = ['司机'];
      r.face.extra = 1;
      delete r.face.nationality;
    });
    const codes = validate(record).map((i) => i.code);
    for (const code of [
      'REGION_UNKNOWN',
      'USCC_CHECK',
      'ID_CHECK_DIGIT',
      'PHONE_FORMAT',
      'DATE_ORDER',
      'CODE_TABLE',
      'UNKNOWN_FIELD',
      'REQUIRED',
      'FIELD_MISMATCH',
    ] as RuleCode[]) {
      assert.ok(codes.includes(code), code);
    }
    assert.ok(codes.length >= 10);
  });

  test('messages are Chinese and name the field by its label, without personal data', () => {
    const record = recordWith(KIND.transport, (r) => {
      r.face.plateNumber = '辽AI2345';
      r.holder.id = '91210102MA0QXY126W';
      r.face.capacity = '四十吨';
      delete r.face.vehicleType;
    });
    const issues = validate(record);
    const byField = new Map(issues.map((i) => [i.field, i.message]));
    assert.match(byField.get('face.plateNumber') ?? '', /^车辆号牌/);
    assert.match(byField.get('holder.id') ?? '', /^持证主体代码/);
    assert.match(byField.get('face.capacity') ?? '', /^吨（座）位/);
    assert.equal(byField.get('face.vehicleType'), '车辆类型为必填项，不能为空');
    for (const i of issues) {
      assert.match(i.message, /\p{Script=Han}/u);
      assert.ok(!i.message.includes('辽AI2345') && !i.message.includes('MA0QXY126V'), i.message);
    }
    for (const [code, { description }] of Object.entries(ruleCodes))
      assert.match(description, /\p{Script=Han}/u, code);
  });

  test('a catalog change changes the checks without code changes', () => {
    const catalog = structuredClone(DEFAULT_CATALOG);
    const transport = catalog.kinds.find((k) => k.code === KIND.transport)!;
    transport.fields.find((f) => f.key === 'remarks')!.required = true;
    transport.numberPattern = '^\\d{6}-\\d{6}$';
    transport.fields.push({
      key: 'vin',
      label: '车辆识别代号',
      type: 'string',
      required: false,
      maxLength: 17,
      pattern: '^[A-HJ-NPR-Z0-9]{17}$',
      patternDescription: '17位车辆识别代号',
    });
    const record = recordWith(KIND.transport, (r) => {
      r.certificateNumber = '210102-100001';
      r.face.vin = 'LSVAM4187C2184847';
    });
    assert.deepEqual(pairs(validate(record, catalog)), ['REQUIRED face.remarks']);
    assert.deepEqual(pairs(validate(record)).sort(), [
      'NUMBER_PATTERN certificateNumber',
      'UNKNOWN_FIELD face.vin',
    ]);
  });

  test('today defaults to the current Beijing date', () => {
    const record = recordWith(KIND.transport, (r) => {
      r.issueDate = '2999-01-01';
    });
    const issues = validateRecord(record, { catalog: DEFAULT_CATALOG, provinceCode: PROVINCE });
    assert.ok(issues.some((i) => i.code === 'DATE_FUTURE' && i.field === 'issueDate'));
  });

  test('fuzz: never throws on any input, returns only known codes', () => {
    const known = new Set(Object.keys(ruleCodes));
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withObjectString: true, withSparseArray: true }),
        (input) => {
          const issues = validate(input);
          assert.ok(Array.isArray(issues));
          for (const i of issues) {
            assert.ok(known.has(i.code));
            assert.notEqual(i.code, 'CATALOG_INVALID');
            assert.equal(typeof i.field, 'string');
            assert.equal(typeof i.message, 'string');
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('fuzz: any value at any path of a valid record is reported, not thrown', () => {
    const paths = [
      'kind',
      'regionCode',
      'certificateNumber',
      'issuer',
      'issuer.code',
      'issuer.name',
      'issueDate',
      'holder',
      'holder.id',
      'holder.idType',
      'holder.name',
      'holder.phone',
      'validFrom',
      'validTo',
      'face',
      'face.plateNumber',
      'face.capacity',
      'face.lengthMm',
      'face.birthDate',
      'face.gender',
      'face.qualificationCategories',
      'face.drivingClass',
      'face.economicType',
      'face.__proto__',
      'face.constructor',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_KINDS),
        fc.constantFrom(...paths),
        fc.anything(),
        (kind, path, value) => {
          const record = validRecord(kind) as unknown as Record<string, unknown>;
          const steps = path.split('.');
          let target: Record<string, unknown> = record;
          for (const step of steps.slice(0, -1)) {
            const next = target[step];
            if (typeof next !== 'object' || next === null) return;
            target = next as Record<string, unknown>;
          }
          Object.defineProperty(target, steps.at(-1)!, {
            value,
            enumerable: true,
            configurable: true,
            writable: true,
          });
          const issues = validate(record);
          assert.ok(issues.every((i) => i.code !== 'CATALOG_INVALID'));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('sample records (src/domain/rules/samples.ts)', () => {
  test('every kind, many indexes and regions of Liaoning: zero issues', () => {
    const regions = listRegions('210000').map((r) => r.code);
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_KINDS),
        fc.integer({ min: 0, max: 9_999_999 }),
        fc.constantFrom(...regions),
        (kind, index, regionCode) => {
          assert.deepEqual(validate(sampleRecord(kind, undefined, { index, regionCode })), []);
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(sampleRecords().length, 9);
  });

  test('indexes give distinct holders, numbers and plates', () => {
    const a = sampleRecord(KIND.transport, undefined, { index: 1 });
    const b = sampleRecord(KIND.transport, undefined, { index: 2 });
    assert.notEqual(a.holder.id, b.holder.id);
    assert.notEqual(a.certificateNumber, b.certificateNumber);
    assert.notEqual(a.face.plateNumber, b.face.plateNumber);
    const p = sampleRecord(KIND.qualification, undefined, { index: 12_345 });
    assert.equal(p.certificateNumber, p.holder.id);
  });

  test('overrides merge deeply; undefined deletes', () => {
    const r = sampleRecord(KIND.transport, {
      face: { plateNumber: '辽B12345', remarks: undefined },
      holder: { phone: undefined },
    });
    assert.equal(r.face.plateNumber, '辽B12345');
    assert.equal('remarks' in r.face, false);
    assert.equal('phone' in r.holder, false);
    assert.equal(r.face.capacity, '40吨');
    const broken = sampleRecord(KIND.transport, { face: { capacity: '40' } });
    assert.deepEqual(pairs(validate(broken)), ['CAPACITY_FORMAT face.capacity']);
    assert.deepEqual(validRecord(KIND.qualification).holder.id, MALE_ID);
  });

  test('a region outside Liaoning gets its own plate prefix', () => {
    const r = sampleRecord(KIND.transport, undefined, { regionCode: '110101' });
    assert.ok(String(r.face.plateNumber).startsWith('京A'));
    assert.deepEqual(validateRecord(r, { ...ctx, provinceCode: '110000' }), []);
  });
});

describe('docs/catalog.md', () => {
  test('documents every rule code', () => {
    const doc = readFileSync(new URL('../../../docs/catalog.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ruleCodes)) assert.ok(doc.includes(`\`${code}\``), code);
  });
});
