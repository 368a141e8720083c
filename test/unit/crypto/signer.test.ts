import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { unwrapPrivateKey } from '../../../src/crypto/keystore.ts';
import { type Signer, SoftwareSigner, verifySignature } from '../../../src/crypto/signer.ts';
import { AppError } from '../../../src/errors.ts';

const KEK = Buffer.alloc(32, 0x42);

/** Every form in which an object can end up in a log, a response or a debugger. */
function exposures(signer: Signer): string {
  const own = Object.getOwnPropertyNames(signer).map((k) => `${k}=${String((signer as never)[k])}`);
  return [
    JSON.stringify(signer),
    inspect(signer, { showHidden: true, depth: 10 }),
    String(signer),
    Object.keys(signer).join(','),
    own.join(','),
    Reflect.ownKeys(signer).map(String).join(','),
    JSON.stringify({ ...signer }),
  ].join('\n');
}

describe('SoftwareSigner', () => {
  test('generate → wrapped → fromWrapped signs with the same key', async () => {
    const { signer, wrapped } = SoftwareSigner.generate('seal-1');
    const blob = wrapped(KEK);
    const restored = SoftwareSigner.fromWrapped(blob, KEK, 'seal-1');
    assert.equal(restored.keyId, 'seal-1');
    assert.equal(restored.algorithm, 'SM2-SM3');
    assert.deepEqual(restored.publicKey, signer.publicKey);
    const data = Buffer.from('印章数据');
    assert.equal(verifySignature(signer.publicKey, data, await restored.sign(data)), true);
    assert.equal(verifySignature(restored.publicKey, data, signer.signSync(data)), true);
    assert.equal(verifySignature(restored.publicKey, Buffer.from('其他'), signer.signSync(data)), false);
  });

  test('never exposes the private key: JSON, inspect, keys, spread', () => {
    const { signer, wrapped } = SoftwareSigner.generate('seal-2');
    const d = unwrapPrivateKey(wrapped(KEK), KEK, 'seal-2');
    const text = exposures(signer);
    for (const form of [d.toString('hex'), d.toString('base64'), Array.from(d).join(',')]) {
      assert.ok(!text.includes(form), 'private key leaked');
    }
    assert.deepEqual(Object.keys(signer).sort(), ['algorithm', 'keyId']);
    assert.deepEqual(JSON.parse(JSON.stringify(signer)), {
      keyId: 'seal-2',
      algorithm: 'SM2-SM3',
      publicKey: signer.publicKey.toString('hex'),
    });
    assert.equal(inspect(signer), `SoftwareSigner { keyId: "seal-2", algorithm: 'SM2-SM3' }`);
    const names = new Set<string>();
    for (let o: object | null = signer; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const n of Object.getOwnPropertyNames(o)) names.add(n);
    }
    for (const n of names) assert.doesNotMatch(n, /private|secret|scalar|^d$/i, `member ${n}`);
  });

  test('publicKey is a copy: mutating it does not change the signer', () => {
    const { signer } = SoftwareSigner.generate('seal-3');
    const pk = signer.publicKey;
    pk.fill(0);
    assert.equal(signer.publicKey[0], 0x04);
  });

  test('fromWrapped with the wrong KEK or key id fails with KEY_DECRYPT_FAILED', () => {
    const { wrapped } = SoftwareSigner.generate('seal-4');
    const blob = wrapped(KEK);
    const failed = (e: unknown) => e instanceof AppError && e.code === 'KEY_DECRYPT_FAILED';
    assert.throws(() => SoftwareSigner.fromWrapped(blob, Buffer.alloc(32, 1), 'seal-4'), failed);
    assert.throws(() => SoftwareSigner.fromWrapped(blob, KEK, 'seal-5'), failed);
  });

  test('generate refuses an invalid key id', () => {
    assert.throws(() => SoftwareSigner.generate(''), AppError);
  });
});
