import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { blindIndex, deriveKey, KEY_LABELS, normalizeIdentifier } from '../../../src/crypto/kdf.ts';
import { hmacSm3 } from '../../../src/crypto/sm3.ts';
import { AppError } from '../../../src/errors.ts';

const MASTER = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

/** RFC 5869 written out with HMAC-SM3, to check the node:crypto HKDF instantiation. */
function hkdfSm3(ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  const prk = hmacSm3(salt, ikm);
  const blocks: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = hmacSm3(prk, Buffer.concat([previous, Buffer.from(info), Buffer.from([i])]));
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

describe('deriveKey', () => {
  test('is HKDF-SM3 with the roadcert salt and label', () => {
    for (const length of [16, 32, 48, 100]) {
      assert.deepEqual(
        deriveKey(MASTER, 'pii-enc', length),
        hkdfSm3(MASTER, Buffer.from('roadcert/kdf/v1'), 'roadcert:pii-enc', length),
      );
    }
  });

  test('labels and master keys separate the outputs', () => {
    const keys = Object.values(KEY_LABELS).map((label) => deriveKey(MASTER, label).toString('hex'));
    assert.equal(new Set(keys).size, keys.length);
    assert.notDeepEqual(
      deriveKey(MASTER, 'pii-index:idCardNo', 32),
      deriveKey(MASTER, 'pii-index:phone', 32),
    );
    const other = Buffer.from(MASTER);
    other[0]! ^= 1;
    assert.notDeepEqual(deriveKey(MASTER, 'session'), deriveKey(other, 'session'));
    assert.deepEqual(deriveKey(MASTER, 'session'), deriveKey(MASTER, 'session'));
    assert.equal(deriveKey(MASTER, 'session').length, 16);
  });

  test('refuses short master keys, malformed labels and odd lengths', () => {
    const invalid = (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT';
    assert.throws(() => deriveKey(Buffer.alloc(15), 'session'), invalid);
    for (const label of ['', 'Session', 'with space', '中文', 'x'.repeat(200)]) {
      assert.throws(() => deriveKey(MASTER, label), invalid, label);
    }
    assert.throws(() => deriveKey(MASTER, 'session', 8), invalid);
    assert.throws(() => deriveKey(MASTER, 'session', 16.5), invalid);
  });
});

describe('blindIndex', () => {
  const key = deriveKey(MASTER, 'pii-index:idCardNo', 32);

  test('normalizes width, case and whitespace before hashing', () => {
    const a = blindIndex(key, '21010219900101123x');
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(blindIndex(key, ' 21010219900101123X '), a);
    assert.equal(blindIndex(key, '２１０１０２１９９００１０１１２３Ｘ'), a);
    assert.equal(blindIndex(key, '210102 1990 0101 123x'), a);
    assert.equal(normalizeIdentifier('辽Ａ １２３４５'), '辽A12345');
  });

  test('distinct values and distinct keys give distinct indexes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (x, y) => {
        fc.pre(normalizeIdentifier(x) !== '' && normalizeIdentifier(y) !== '');
        fc.pre(normalizeIdentifier(x) !== normalizeIdentifier(y));
        assert.notEqual(blindIndex(key, x), blindIndex(key, y));
      }),
    );
    assert.notEqual(
      blindIndex(key, '13800138000'),
      blindIndex(deriveKey(MASTER, 'pii-index:phone', 32), '13800138000'),
    );
  });

  test('refuses an empty value and a short key', () => {
    assert.throws(() => blindIndex(key, '  '), AppError);
    assert.throws(() => blindIndex(Buffer.alloc(8), 'x'), AppError);
  });
});
