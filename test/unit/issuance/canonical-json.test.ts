import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import canonicalize from 'canonicalize';
import { canonicalJson } from '../../../src/crypto/canonical-json.ts';
import { KINDS } from '../../../src/domain/catalog/kinds.ts';
import { sampleRecord } from '../../../src/domain/rules/samples.ts';
import { buildAssertion, canonicalAssertion } from '../../../src/services/issuance/seal-certificate.ts';

/** A random JSON value: nested objects and arrays, awkward strings and numbers. */
function randomJson(depth: number): unknown {
  const pick = randomBytes(1)[0]! % (depth > 3 ? 5 : 7);
  const strings = [
    '',
    'a',
    'Z',
    'é',
    '道路运输证',
    '\u0000\t\n"\\/',
    '\u2028\u2029',
    '😀',
    '\uffff',
    'A\u00ad',
  ];
  const numbers = [
    0,
    -0,
    1,
    -1,
    0.1,
    1e21,
    1e-7,
    123456789012345680000,
    5e-324,
    2 ** 53,
    -1.5e300,
    333333333.3333333,
  ];
  switch (pick) {
    case 0:
      return strings[randomBytes(1)[0]! % strings.length];
    case 1:
      return numbers[randomBytes(1)[0]! % numbers.length];
    case 2:
      return randomBytes(1)[0]! % 2 === 0;
    case 3:
      return null;
    case 4:
      return `${strings[randomBytes(1)[0]! % strings.length]}${randomBytes(3).toString('hex')}`;
    case 5:
      return Array.from({ length: randomBytes(1)[0]! % 4 }, () => randomJson(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const keys = ['b', 'a', 'B', 'aa', '', '10', '2', 'é', '€', '😀', '\ud7ff', 'ａ', 'face', 'holder'];
      for (let i = randomBytes(1)[0]! % 6; i > 0; i--)
        o[keys[randomBytes(1)[0]! % keys.length]!] = randomJson(depth + 1);
      return o;
    }
  }
}

describe('canonicalJson (RFC 8785)', () => {
  test('property: byte for byte what the canonicalize package gives, on random JSON', () => {
    for (let i = 0; i < 3000; i++) {
      const value = randomJson(0);
      assert.equal(canonicalJson(value), canonicalize(value), JSON.stringify(value));
    }
  });

  test('RFC 8785 examples: key order by UTF-16 code units, number and string forms', () => {
    // The sorting example of RFC 8785 §3.2.3 (keys in UTF-16 code unit order).
    const sorting = {
      '€': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '😀': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      ö: 'Latin Small Letter O With Diaeresis',
    };
    assert.equal(
      canonicalJson(sorting),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    assert.equal(
      canonicalJson({
        numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        literals: [null, true, false],
      }),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}',
    );
    assert.equal(
      canonicalJson({ string: '€$\u000f\nA\'B"\\\\"/' }),
      '{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test('undefined members are left out, undefined array items become null, toJSON is honoured', () => {
    assert.equal(canonicalJson({ b: undefined, a: [undefined, 1] }), '{"a":[null,1]}');
    assert.equal(
      canonicalJson({ at: new Date('2026-01-02T03:04:05.000Z') }),
      '{"at":"2026-01-02T03:04:05.000Z"}',
    );
  });

  test('refuses what has no canonical form', () => {
    assert.throws(() => canonicalJson({ a: Number.NaN }), /NaN/);
    assert.throws(() => canonicalJson([Number.POSITIVE_INFINITY]), /Infinity/);
    assert.throws(() => canonicalJson({ a: 'x\ud800y' }), /Lone surrogate/);
    const loneKey = String.fromCharCode(0xdc00);
    assert.throws(() => canonicalJson({ [loneKey]: 1 }), /Lone surrogate/);
    assert.throws(() => canonicalJson({ a: 1n }), /bigint/);
    assert.throws(() => canonicalJson({ a: () => 1 }), /function/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => canonicalJson(cycle), /circular/);
  });

  test('certificate assertions of every kind canonicalize as the canonicalize package does', () => {
    KINDS.forEach((kind, i) => {
      const record = sampleRecord(kind.code, {}, { index: 40 + i, regionCode: '210102' });
      const assertion = buildAssertion({
        identifier: `${kind.code}-${i}`,
        version: 1,
        kindName: kind.name,
        catalogVersion: 1,
        record,
        event: 'issue',
        previousIdentifier: null,
        sealKeyId: 'seal-1',
        sealName: '辽宁省交通运输厅电子证照专用章',
        signedAt: new Date('2026-11-28T00:00:00Z'),
      });
      assert.deepEqual(canonicalAssertion(assertion), Buffer.from(canonicalize(assertion)!, 'utf8'));
    });
  });
});
