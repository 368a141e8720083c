import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { unwrapPrivateKey, wrapPrivateKey } from '../../../src/crypto/keystore.ts';
import { generateSm2KeyPair } from '../../../src/crypto/sm2.ts';
import { AppError } from '../../../src/errors.ts';

const KEK = Buffer.from('8f1e3c5a7b9d0f2e4c6a8b0d1f3e5c7a9b1d3f5e7c9a0b2d4f6e8c0a2b4d6f80', 'hex');
const decryptFailed = (e: unknown) => e instanceof AppError && e.code === 'KEY_DECRYPT_FAILED';
const invalidInput = (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT';

describe('wrapPrivateKey / unwrapPrivateKey', () => {
  const { privateKey } = generateSm2KeyPair();

  test('round trip, versioned text form, fresh IV per wrap', () => {
    const blob = wrapPrivateKey(privateKey, KEK, 'seal-2025-01');
    assert.match(blob, /^rcwk1:[A-Za-z0-9+/]+=*$/);
    assert.ok(!blob.includes(privateKey.toString('hex')));
    assert.ok(!blob.includes(privateKey.toString('base64')));
    assert.deepEqual(unwrapPrivateKey(blob, KEK, 'seal-2025-01'), privateKey);
    assert.notEqual(wrapPrivateKey(privateKey, KEK, 'seal-2025-01'), blob);
  });

  test('wrong KEK, wrong key id and tampering are all KEY_DECRYPT_FAILED', () => {
    const blob = wrapPrivateKey(privateKey, KEK, 'seal-2025-01');
    const otherKek = Buffer.from(KEK);
    otherKek[0]! ^= 1;
    assert.throws(() => unwrapPrivateKey(blob, otherKek, 'seal-2025-01'), decryptFailed);
    assert.throws(() => unwrapPrivateKey(blob, KEK, 'seal-2025-02'), decryptFailed);
    assert.throws(() => unwrapPrivateKey(blob, KEK, 'root-2025-01'), decryptFailed);
    const raw = Buffer.from(blob.slice('rcwk1:'.length), 'base64');
    for (let i = 0; i < raw.length; i++) {
      const tampered = Buffer.from(raw);
      tampered[i]! ^= 0x20;
      assert.throws(
        () => unwrapPrivateKey(`rcwk1:${tampered.toString('base64')}`, KEK, 'seal-2025-01'),
        AppError,
      );
    }
  });

  test('error messages never contain key material', () => {
    const blob = wrapPrivateKey(privateKey, KEK, 'k1');
    try {
      unwrapPrivateKey(blob, Buffer.alloc(32, 9), 'k1');
      assert.fail('should not unwrap');
    } catch (e) {
      const text = `${(e as Error).message} ${JSON.stringify(e)} ${String((e as Error).stack)}`;
      for (const secret of [privateKey, KEK]) {
        assert.ok(!text.includes(secret.toString('hex')));
        assert.ok(!text.includes(secret.toString('base64')));
      }
    }
  });

  test('bad inputs are CRYPTO_INVALID_INPUT', () => {
    assert.throws(() => wrapPrivateKey(Buffer.alloc(31), KEK, 'k1'), invalidInput);
    assert.throws(() => wrapPrivateKey(privateKey, Buffer.alloc(8), 'k1'), invalidInput);
    assert.throws(() => wrapPrivateKey(privateKey, KEK, ''), invalidInput);
    assert.throws(() => wrapPrivateKey(privateKey, KEK, 'has space'), invalidInput);
    assert.throws(() => unwrapPrivateKey('v0:abcd', KEK, 'k1'), invalidInput);
    assert.throws(() => unwrapPrivateKey('rcwk1:!!!!', KEK, 'k1'), invalidInput);
  });

  test('property: any 32-byte scalar and key id round trip', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.stringMatching(/^[a-z0-9._:-]{1,40}$/),
        (d, keyId) => {
          assert.deepEqual(new Uint8Array(unwrapPrivateKey(wrapPrivateKey(d, KEK, keyId), KEK, keyId)), d);
        },
      ),
      { numRuns: 100 },
    );
  });
});
