import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MOD3736_ALPHABET } from '../../../src/domain/checkdigits.ts';
import {
  formatIdentifier,
  formatSerial,
  IDENTIFIER_PREFIX,
  isValidIdentifier,
  nextVersion,
  parseIdentifier,
} from '../../../src/domain/identifiers.ts';
import { isAppError } from '../../../src/errors.ts';
import { ISSUER_USCC } from './fixtures.ts';

const REAL = [
  '1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0',
  '1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U',
  // Issuer is a 6-digit region code here, not a USCC: parsed by the algorithm all the same.
  '1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9',
];
const TYPE_CODE = '11100000000019713D013';

function invalidPart(part: string) {
  return (e: unknown) => isAppError(e) && e.code === 'IDENTIFIER_INVALID' && e.details?.part === part;
}

describe('GB/T 36904 e-certificate identifiers', () => {
  test('the real identifiers parse and validate', () => {
    assert.deepEqual(parseIdentifier(REAL[0] ?? ''), {
      typeCode: '11100000000013338W009',
      issuerCode: '11330105002500287C',
      serial: '2025052201',
      version: 2,
      check: '0',
    });
    assert.deepEqual(parseIdentifier(REAL[2] ?? ''), {
      typeCode: '11100000MB03271699022',
      issuerCode: '340100',
      serial: '000000016',
      version: 1,
      check: '9',
    });
    for (const id of REAL) assert.equal(isValidIdentifier(id), true, id);
  });

  test('nextVersion keeps the serial, bumps the version and recomputes the check', () => {
    const next = nextVersion(REAL[1] ?? '');
    assert.match(
      next,
      /^1\.2\.156\.3005\.2\.11100000000013338W011\.11430000006122244L\.20230000403\.002\.[0-9A-Z]$/,
    );
    assert.equal(isValidIdentifier(next), true);
    assert.equal(
      parseIdentifier(nextVersion(REAL[2] ?? '')).version,
      2,
      'an identifier from elsewhere keeps its shape',
    );
    const last = formatIdentifier({
      typeCode: TYPE_CODE,
      issuerCode: ISSUER_USCC,
      serial: '202500000001',
      version: 999,
    });
    assert.throws(() => nextVersion(last), invalidPart('version'));
  });

  test('formatSerial: year of first issue + 8-digit sequence', () => {
    assert.equal(formatSerial(2025, 42), '202500000042');
    assert.equal(formatSerial(2026, 99_999_999), '202699999999');
    assert.throws(
      () => formatSerial(2025, 0),
      (e) => isAppError(e) && e.code === 'IDENTIFIER_INVALID',
    );
    assert.throws(
      () => formatSerial(2025, 100_000_000),
      (e) => isAppError(e) && e.code === 'IDENTIFIER_INVALID',
    );
    assert.throws(
      () => formatSerial(25, 1),
      (e) => isAppError(e) && e.code === 'IDENTIFIER_INVALID',
    );
  });

  test('formatIdentifier is strict about what the platform mints', () => {
    const ok = { typeCode: TYPE_CODE, issuerCode: ISSUER_USCC, serial: formatSerial(2025, 1), version: 1 };
    const id = formatIdentifier(ok);
    assert.ok(id.startsWith(`${IDENTIFIER_PREFIX}${TYPE_CODE}.${ISSUER_USCC}.202500000001.001.`));
    assert.throws(
      () => formatIdentifier({ ...ok, typeCode: '11100000000019713D01' }),
      invalidPart('typeCode'),
    );
    assert.throws(() => formatIdentifier({ ...ok, issuerCode: '340100' }), invalidPart('issuerCode'));
    assert.throws(() => formatIdentifier({ ...ok, serial: '2025-1' }), invalidPart('serial'));
    assert.throws(() => formatIdentifier({ ...ok, version: 0 }), invalidPart('version'));
    assert.throws(() => formatIdentifier({ ...ok, version: 1000 }), invalidPart('version'));
    assert.throws(() => formatIdentifier({ ...ok, version: 1.5 }), invalidPart('version'));
  });

  test('parseIdentifier names the part that is wrong, in Chinese', () => {
    const base = REAL[0] ?? '';
    assert.throws(() => parseIdentifier('1.2.156.3005.3.x'), invalidPart('prefix'));
    assert.throws(() => parseIdentifier(`${base}.0`), invalidPart('structure'));
    assert.throws(() => parseIdentifier(base.replace('W009', 'W09')), invalidPart('typeCode'));
    assert.throws(
      () => parseIdentifier(base.replace('.11330105002500287C.', '.1133-0105.')),
      invalidPart('issuerCode'),
    );
    assert.throws(() => parseIdentifier(base.replace('.2025052201.', '..')), invalidPart('serial'));
    assert.throws(() => parseIdentifier(base.replace('.002.', '.02.')), invalidPart('version'));
    assert.throws(() => parseIdentifier(base.replace('.002.', '.000.')), invalidPart('version'));
    assert.throws(() => parseIdentifier(`${base.slice(0, -1)}a`), invalidPart('check'));
    assert.throws(
      () => parseIdentifier(`${base.slice(0, -1)}1`),
      (e) => {
        return invalidPart('check')(e) && isAppError(e) && /校验位/.test(e.message);
      },
    );
    assert.equal(isValidIdentifier(42), false);
  });

  const serial = fc.integer({ min: 1, max: 99_999_999 }).map((n) => formatSerial(2025, n));

  test('property: minted identifiers parse back to their parts', () => {
    fc.assert(
      fc.property(serial, fc.integer({ min: 1, max: 999 }), (s, version) => {
        const parts = { typeCode: TYPE_CODE, issuerCode: ISSUER_USCC, serial: s, version };
        const { check, ...rest } = parseIdentifier(formatIdentifier(parts));
        assert.deepEqual(rest, parts);
        assert.match(check, /^[0-9A-Z]$/);
      }),
    );
  });

  test('property: changing any one character after the prefix invalidates the identifier', () => {
    fc.assert(
      fc.property(serial, fc.integer({ min: 1, max: 999 }), (s, version) => {
        const id = formatIdentifier({ typeCode: TYPE_CODE, issuerCode: ISSUER_USCC, serial: s, version });
        for (let i = IDENTIFIER_PREFIX.length; i < id.length; i++) {
          if (id[i] === '.') continue;
          for (const c of MOD3736_ALPHABET) {
            if (c === id[i]) continue;
            const changed = id.slice(0, i) + c + id.slice(i + 1);
            assert.equal(isValidIdentifier(changed), false, changed);
          }
        }
      }),
      { numRuns: 10 },
    );
  });
});
