import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  computeOrganizationCodeCheckChar,
  computeUsccCheckChar,
  MOD3736_ALPHABET,
  mod112CheckChar,
  mod3736CheckChar,
  USCC_ALPHABET,
  validateCitizenId,
  validatePlateNumber,
  validateUscc,
} from '../../../src/domain/checkdigits.ts';
import { addDays } from '../../../src/domain/dates.ts';
import { FEMALE_ID, MALE_ID, STANDARD_EXAMPLE_ID } from './fixtures.ts';

const TODAY = '2025-06-01';
const digit = fc.constantFrom(...'0123456789');
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((a) => a.join(''));
const usccChar = fc.constantFrom(...USCC_ALPHABET);
const usccChars = (n: number) => fc.array(usccChar, { minLength: n, maxLength: n }).map((a) => a.join(''));

function withCitizenCheck(body17: string): string {
  return body17 + mod112CheckChar(body17);
}

/** Every string that differs from `s` in exactly one position, over `alphabet`. */
function* substitutions(s: string, alphabetAt: (i: number) => string): Generator<string> {
  for (let i = 0; i < s.length; i++) {
    for (const c of alphabetAt(i)) {
      if (c !== s[i]) yield s.slice(0, i) + c + s.slice(i + 1);
    }
  }
}

describe('ISO 7064 MOD 11-2 and GB 11643 citizen ID', () => {
  test('known vectors from GB 11643 and the fixtures', () => {
    assert.deepEqual(validateCitizenId(STANDARD_EXAMPLE_ID, { today: TODAY }), {
      ok: true,
      birthDate: '1949-12-31',
      gender: '2',
    });
    assert.deepEqual(validateCitizenId('440524188001010014', { today: TODAY }), {
      ok: true,
      birthDate: '1880-01-01',
      gender: '1',
    });
    assert.deepEqual(validateCitizenId(MALE_ID, { today: TODAY }), {
      ok: true,
      birthDate: '1985-03-15',
      gender: '1',
    });
    assert.deepEqual(validateCitizenId(FEMALE_ID, { today: TODAY }), {
      ok: true,
      birthDate: '1990-07-08',
      gender: '2',
    });
    assert.equal(mod112CheckChar('11010519491231002'), 'X');
  });

  test('each failure has its reason', () => {
    const reason = (id: unknown) => {
      const r = validateCitizenId(id, { today: TODAY });
      return r.ok ? 'ok' : r.reason;
    };
    assert.equal(reason('1101051949123100'), 'LENGTH');
    assert.equal(reason(11010519491231002), 'LENGTH');
    assert.equal(reason('11010519491231002x'), 'CHARSET', 'GB 11643 writes X in upper case');
    assert.equal(reason('1101051949123100A2'), 'CHARSET');
    assert.equal(reason('110105194912310021'), 'CHECK_DIGIT');
    assert.equal(reason(withCitizenCheck('11010519490230002')), 'BIRTH_DATE', '30 February');
    assert.equal(reason(withCitizenCheck('11010520990101002')), 'BIRTH_DATE', 'in the future');
    assert.equal(reason(withCitizenCheck('11010520250602002')), 'BIRTH_DATE', 'the day after today');
    assert.equal(reason(withCitizenCheck('11010520250601002')), 'ok', 'born today');
    assert.equal(reason(withCitizenCheck('99010519491231002')), 'REGION');
  });

  test('property: a computed check digit validates', () => {
    const birth = fc.integer({ min: 0, max: 45_000 }).map((n) => addDays('1900-01-01', n));
    fc.assert(
      fc.property(
        fc.constantFrom('210102', '110105', '440524', '659004'),
        birth,
        digits(3),
        (region, date, seq) => {
          const id = withCitizenCheck(region + date.replaceAll('-', '') + seq);
          const result = validateCitizenId(id, { today: TODAY });
          assert.ok(result.ok);
          assert.equal(result.birthDate, date);
          assert.equal(result.gender, Number(seq[2]) % 2 === 1 ? '1' : '2');
        },
      ),
    );
  });

  test('property: MOD 11-2 detects every single-character substitution', () => {
    fc.assert(
      fc.property(digits(17), (body) => {
        const id = withCitizenCheck(body);
        for (const changed of substitutions(id, (i) => (i < 17 ? '0123456789' : '0123456789X'))) {
          assert.notEqual(mod112CheckChar(changed.slice(0, 17)), changed[17], changed);
        }
      }),
    );
  });
});

describe('GB 32100 unified social credit code', () => {
  const REAL = [
    '11100000000019713D',
    '11330105002500287C',
    '11430000006122244L',
    '11100000MB03271699',
    '11100000000013338W',
    '91230184MA1BUFLT44',
    '92371000MA3MXH0E3W',
    '92141127MA0KD1Y64A',
    '12440600MB2C07549J',
    '9144030071526726XG',
    '91330100716105852F',
  ];

  test('real codes pass both the MOD 31 and the GB 11714 organisation code check', () => {
    for (const code of REAL) assert.deepEqual(validateUscc(code), { ok: true }, code);
    assert.equal(computeUsccCheckChar('11100000000019713'), 'D');
    assert.equal(computeOrganizationCodeCheckChar('00001971'), '3');
  });

  test('each failure has its reason', () => {
    const reason = (code: unknown) => {
      const r = validateUscc(code);
      return r.ok ? 'ok' : r.reason;
    };
    assert.equal(reason('11100000000019713'), 'LENGTH');
    assert.equal(reason(null), 'LENGTH');
    assert.equal(reason('11100000000019713d'), 'CHARSET');
    assert.equal(reason('1110000000001971OD'), 'CHARSET', 'O is not in the GB 32100 alphabet');
    assert.equal(reason('111A0000000019713D'), 'CHARSET', 'characters 3–8 are a region code');
    assert.equal(reason('11100000000019713E'), 'CHECK_CHAR');
    // A fabricated code whose MOD 31 check was computed but whose organisation code is wrong.
    const body = '1110000000001971';
    const badOrg = `${body}4`;
    assert.equal(reason(badOrg + computeUsccCheckChar(badOrg)), 'ORG_CODE_CHECK');
    assert.equal(reason(`${body}3${computeUsccCheckChar(`${body}3`)}`), 'ok');
  });

  const validUscc = fc.tuple(usccChars(2), digits(6), usccChars(8)).map(([head, region, org]) => {
    const body = head + region + org + computeOrganizationCodeCheckChar(org);
    return body + computeUsccCheckChar(body);
  });

  test('property: a computed check character validates', () => {
    fc.assert(fc.property(validUscc, (code) => assert.deepEqual(validateUscc(code), { ok: true })));
  });

  test('property: every single-character substitution is rejected', () => {
    fc.assert(
      fc.property(validUscc, (code) => {
        for (const changed of substitutions(code, () => USCC_ALPHABET)) {
          assert.equal(validateUscc(changed).ok, false, changed);
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('ISO 7064 MOD 37,36', () => {
  test('the three real GB/T 36904 identifiers check out', () => {
    assert.equal(mod3736CheckChar('11100000000013338W00911330105002500287C2025052201002'), '0');
    assert.equal(mod3736CheckChar('11100000000013338W01111430000006122244L20230000403001'), 'U');
    assert.equal(mod3736CheckChar('11100000MB03271699022340100000000016001'), '9');
  });

  test('rejects characters outside 0-9 A-Z', () => {
    assert.throws(() => mod3736CheckChar('abc'), RangeError);
  });

  const body = fc
    .array(fc.constantFrom(...MOD3736_ALPHABET), { minLength: 1, maxLength: 60 })
    .map((a) => a.join(''));

  test('property: every single-character substitution (check character included) is detected', () => {
    fc.assert(
      fc.property(body, (s) => {
        const full = s + mod3736CheckChar(s);
        for (const changed of substitutions(full, () => MOD3736_ALPHABET)) {
          assert.notEqual(mod3736CheckChar(changed.slice(0, -1)), changed.at(-1), changed);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('GA 36 plate numbers', () => {
  test('accepts each category', () => {
    const cases: [string, string][] = [
      ['辽A12345', 'ordinary'],
      ['辽BX7K21', 'ordinary'],
      ['京AD12345', 'newEnergySmall'],
      ['辽AFA1234', 'newEnergySmall'],
      ['辽A12345D', 'newEnergyLarge'],
      ['辽A1234挂', 'trailer'],
      ['辽A1234学', 'coach'],
      ['新N12345', 'ordinary'],
    ];
    for (const [plate, category] of cases)
      assert.deepEqual(validatePlateNumber(plate), { ok: true, category }, plate);
  });

  test('rejects with a reason', () => {
    const reason = (p: unknown) => {
      const r = validatePlateNumber(p);
      return r.ok ? 'ok' : r.reason;
    };
    assert.equal(reason('辽A1234'), 'LENGTH');
    assert.equal(reason(12345), 'LENGTH');
    assert.equal(reason('港A12345'), 'PROVINCE');
    assert.equal(reason('LA12345'), 'PROVINCE');
    assert.equal(reason('辽I12345'), 'AUTHORITY');
    assert.equal(reason('辽a12345'), 'AUTHORITY');
    assert.equal(reason('辽A1234O'), 'SERIAL', 'O never appears');
    assert.equal(reason('辽AI2345'), 'SERIAL', 'I never appears');
    assert.equal(reason('辽A·12345'), 'SERIAL', 'no separator dot');
    assert.equal(reason('辽A123456'), 'SERIAL', 'six characters only for new energy');
    assert.equal(reason('辽AA12345'), 'SERIAL', 'new energy small starts with D or F');
    assert.equal(reason('辽A1234D5'), 'SERIAL');
    assert.equal(reason('辽A123挂4'), 'SERIAL');
  });

  test('property: generated ordinary and new-energy plates validate; I or O anywhere breaks them', () => {
    const letter = fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ');
    const alnum = fc.oneof(digit, letter);
    const province = fc.constantFrom(...'京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新');
    const serial = fc.oneof(
      fc.array(alnum, { minLength: 5, maxLength: 5 }).map((a) => a.join('')),
      fc.tuple(fc.constantFrom('D', 'F'), alnum, digits(4)).map((a) => a.join('')),
      fc.tuple(digits(5), fc.constantFrom('D', 'F')).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(province, letter, serial, fc.nat(), fc.constantFrom('I', 'O'), (p, a, s, at, bad) => {
        const plate = p + a + s;
        assert.equal(validatePlateNumber(plate).ok, true, plate);
        const i = 1 + (at % (s.length + 1));
        const broken = plate.slice(0, i) + bad + plate.slice(i + 1);
        assert.equal(validatePlateNumber(broken).ok, false, broken);
      }),
    );
  });
});
