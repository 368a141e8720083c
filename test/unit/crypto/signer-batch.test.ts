import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Signer, SoftwareSigner, signAll, verifySignature } from '../../../src/crypto/signer.ts';
import { publicKeyToPem, sm2SignManyAsync } from '../../../src/crypto/sm2.ts';
import { AppError } from '../../../src/errors.ts';
import { openssl, skipWithoutOpenssl, withTempDir } from './openssl-cli.ts';

describe('batch signing (signMany)', () => {
  test('every message gets its own valid signature, in order, across several native jobs', async () => {
    const { signer } = SoftwareSigner.generate('batch-1');
    const messages = Array.from({ length: 101 }, (_, i) => Buffer.from(`证照 ${i} ${'x'.repeat(i * 7)}`));
    const signatures = await signer.signMany(messages);
    assert.equal(signatures.length, messages.length);
    signatures.forEach((sig, i) => {
      assert.equal(verifySignature(signer.publicKey, messages[i]!, sig), true, `message ${i}`);
      // Not the signature of a neighbour.
      assert.equal(verifySignature(signer.publicKey, messages[(i + 1) % messages.length]!, sig), false);
    });
    assert.deepEqual(await signer.signMany([]), []);
    assert.equal((await signer.signMany([Buffer.alloc(0)])).length, 1);
  });

  test('inputs may change right after the call; bad input is CRYPTO_INVALID_INPUT', async () => {
    const { signer } = SoftwareSigner.generate('batch-2');
    const message = Buffer.from('会被改掉的数据');
    const pending = signer.signMany([message, message]);
    const original = Buffer.from(message);
    message.fill(0);
    for (const sig of await pending) assert.equal(verifySignature(signer.publicKey, original, sig), true);
    await assert.rejects(
      sm2SignManyAsync(Buffer.alloc(32, 1), ['text' as unknown as Uint8Array]),
      (e) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT',
    );
    await assert.rejects(
      sm2SignManyAsync(Buffer.alloc(32, 1), 'not an array' as unknown as Uint8Array[]),
      (e) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT',
    );
  });

  test('signAll falls back to sign() for a signer without a batch form', async () => {
    const { signer } = SoftwareSigner.generate('batch-3');
    const plain: Signer = {
      keyId: signer.keyId,
      algorithm: signer.algorithm,
      publicKey: signer.publicKey,
      sign: (d) => signer.sign(d),
    };
    const messages = [Buffer.from('一'), Buffer.from('二'), Buffer.from('三')];
    const sigs = await signAll(plain, messages);
    sigs.forEach((s, i) => {
      assert.equal(verifySignature(signer.publicKey, messages[i]!, s), true);
    });
  });

  test('openssl verifies batch signatures (SM2, default ID)', { skip: skipWithoutOpenssl }, async () => {
    const { signer } = SoftwareSigner.generate('batch-4');
    const messages = Array.from({ length: 40 }, (_, i) => Buffer.from(`批量签名 ${i}`));
    const sigs = await signer.signMany(messages);
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'pub.pem'), publicKeyToPem(signer.publicKey));
      for (const i of [0, 17, 39]) {
        writeFileSync(join(dir, `m${i}`), messages[i]!);
        writeFileSync(join(dir, `s${i}`), sigs[i]!);
        const r = openssl(
          [
            'dgst',
            '-sm3',
            '-verify',
            'pub.pem',
            '-sigopt',
            'distid:1234567812345678',
            '-signature',
            `s${i}`,
            `m${i}`,
          ],
          dir,
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Verified OK/);
      }
    });
  });
});
