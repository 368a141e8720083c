import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SM4_SEAL_OVERHEAD, sm4Open, sm4Seal } from '../../../src/crypto/sm4.ts';
import { AppError } from '../../../src/errors.ts';

const KEY = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');

function refusedWith(code: string) {
  return (e: unknown) => e instanceof AppError && e.code === code;
}

describe('SM4 primitive (GB/T 32907) through node:crypto', () => {
  test('single-block vector', () => {
    const cipher = createCipheriv('sm4-ecb', KEY, null).setAutoPadding(false);
    const out = Buffer.concat([cipher.update(KEY), cipher.final()]);
    assert.equal(out.toString('hex'), '681edf34d206965e86b3e94f536e4246');
  });

  test('the same block encrypted 1,000,000 times', () => {
    // CBC with a zero IV over P ‖ 0 ‖ 0 … makes block i equal E(block i-1): one call does
    // all 10^6 encryptions in native code instead of 10^6 cipher objects.
    const rounds = 1_000_000;
    const input = Buffer.alloc(16 * rounds);
    KEY.copy(input, 0);
    const cipher = createCipheriv('sm4-cbc', KEY, Buffer.alloc(16)).setAutoPadding(false);
    const out = cipher.update(input);
    assert.equal(out.subarray(out.length - 16).toString('hex'), '595298c7c6fd271f0402f804c33d3f66');
  });
});

describe('sm4Seal / sm4Open (SM4-CTR + HMAC-SM3)', () => {
  const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

  test('round trip with and without AAD, including empty plaintext', () => {
    for (const plaintext of [Buffer.alloc(0), Buffer.from('210102199001011234'), Buffer.alloc(5000, 7)]) {
      const sealed = sm4Seal(key, plaintext);
      assert.equal(sealed.length, plaintext.length + SM4_SEAL_OVERHEAD);
      assert.deepEqual(sm4Open(key, sealed), plaintext);
      const withAad = sm4Seal(key, plaintext, Buffer.from('holder.idCardNo'));
      assert.deepEqual(sm4Open(key, withAad, Buffer.from('holder.idCardNo')), plaintext);
    }
  });

  test('random IV: sealing the same plaintext twice gives different output', () => {
    const p = Buffer.from('same');
    assert.notDeepEqual(sm4Seal(key, p), sm4Seal(key, p));
  });

  test('every single-bit change anywhere in the sealed data is refused', () => {
    const sealed = sm4Seal(key, Buffer.from('辽宁省道路运输证 13800138000'), Buffer.from('aad'));
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = Buffer.from(sealed);
        tampered[i]! ^= 1 << bit;
        assert.throws(() => sm4Open(key, tampered, Buffer.from('aad')), refusedWith('CRYPTO_AUTH_FAILED'));
      }
    }
  });

  test('wrong key, wrong AAD, truncation and appended bytes are refused', () => {
    const sealed = sm4Seal(key, Buffer.from('secret'), Buffer.from('field-a'));
    const otherKey = Buffer.from(key);
    otherKey[15]! ^= 1;
    assert.throws(() => sm4Open(otherKey, sealed, Buffer.from('field-a')), refusedWith('CRYPTO_AUTH_FAILED'));
    assert.throws(() => sm4Open(key, sealed, Buffer.from('field-b')), refusedWith('CRYPTO_AUTH_FAILED'));
    assert.throws(() => sm4Open(key, sealed), refusedWith('CRYPTO_AUTH_FAILED'));
    assert.throws(() => sm4Open(key, sealed.subarray(0, sealed.length - 1), Buffer.from('field-a')));
    assert.throws(() => sm4Open(key, sealed.subarray(0, 10), Buffer.from('field-a')));
    assert.throws(() => sm4Open(key, Buffer.concat([sealed, Buffer.from([0])]), Buffer.from('field-a')));
  });

  test('bad key length is an input error naming the length', () => {
    assert.throws(
      () => sm4Seal(Buffer.alloc(15), Buffer.from('x')),
      (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT' && e.message.includes('15'),
    );
    assert.throws(() => sm4Open(Buffer.alloc(32), Buffer.alloc(60)), refusedWith('CRYPTO_INVALID_INPUT'));
  });

  test('property: open(seal(p, aad), aad) = p', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 40 }),
        (k, p, aad) => {
          assert.deepEqual(new Uint8Array(sm4Open(k, sm4Seal(k, p, aad), aad)), p);
        },
      ),
      { numRuns: 200 },
    );
  });
});
