import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bigintToFixedBytes, bytesToBigint } from '../../../src/crypto/der.ts';
import {
  decodeSm2Signature,
  encodeSm2Signature,
  generateSm2KeyPair,
  publicKeyToPem,
  Sm2PrivateKey,
  Sm2PublicKey,
  sm2CrossCheck,
  sm2Digest,
  sm2Sign,
  sm2SignAsync,
  sm2SignManyAsync,
  sm2Verify,
  sm2VerifyAsync,
} from '../../../src/crypto/sm2.ts';
import { SM2_CURVE } from '../../../src/crypto/sm2-curve.ts';
import { referencePublicKey, referenceVerify } from '../../../src/crypto/sm2-reference.ts';
import { AppError } from '../../../src/errors.ts';
import { openssl, skipWithoutOpenssl, withTempDir } from './openssl-cli.ts';

/*
 * The wired-in native SM2 (our curve code) against OpenSSL's own SM2 on the same key handles
 * (`sm2CrossCheck.signOpenssl` / `verifyOpenssl`), against the openssl CLI, and against the
 * BigInt reference: signatures must be interchangeable in both directions, and every kind of
 * damaged signature must be refused by both, with the same answer.
 */

const { n } = SM2_CURVE;
const be32 = (x: bigint) => bigintToFixedBytes(x, 32);
const invalidInput = (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT';

/** DER SEQUENCE { r, s } for any non-negative r, s (no range check, unlike encodeSm2Signature). */
function derSignature(r: bigint, s: bigint): Buffer {
  const int = (v: bigint) => {
    let bytes = Buffer.from(
      v
        .toString(16)
        .padStart(2, '0')
        .replace(/^(.(..)*)$/, '0$1'),
      'hex',
    );
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

const keys = Array.from({ length: 4 }, () => generateSm2KeyPair());
const randomMessage = () => randomBytes(randomInt(0, 300));

describe('native SM2 signatures are OpenSSL signatures', () => {
  test('3,000 random sign → verify round trips, each also verified by OpenSSL', () => {
    for (let i = 0; i < 3000; i++) {
      const { key, publicKey } = keys[i % keys.length]!;
      const message = randomMessage();
      const der = sm2Sign(key, message);
      assert.equal(sm2Verify(publicKey, message, der), true, `ours, case ${i}`);
      assert.equal(sm2CrossCheck.verifyOpenssl(publicKey, message, der), true, `OpenSSL, case ${i}`);
      // DER exactly as OpenSSL writes it: the strict decoder re-encodes to the same bytes.
      assert.deepEqual(encodeSm2Signature(decodeSm2Signature(der)), der);
    }
  });

  test('1,000 OpenSSL signatures verify with ours, and not for another message or key', () => {
    for (let i = 0; i < 1000; i++) {
      const { key, publicKey } = keys[i % keys.length]!;
      const message = randomMessage();
      const der = sm2CrossCheck.signOpenssl(key, message);
      assert.equal(sm2Verify(publicKey, message, der), true, `case ${i}`);
      if (i % 10 === 0) {
        assert.equal(sm2Verify(publicKey, Buffer.concat([message, Buffer.from([0])]), der), false);
        assert.equal(sm2Verify(keys[(i + 1) % keys.length]!.publicKey, message, der), false);
      }
    }
  });

  test('the reference implementation accepts our signatures', () => {
    for (let i = 0; i < 40; i++) {
      const { key, publicKey } = keys[i % keys.length]!;
      const message = randomMessage();
      const der = sm2Sign(key, message);
      assert.equal(referenceVerify(publicKey, sm2Digest(publicKey, message), decodeSm2Signature(der)), true);
    }
  });

  test('async, batch and imported-scalar signatures are checked by OpenSSL too', async () => {
    const pair = keys[0]!;
    const messages = Array.from({ length: 200 }, randomMessage);
    const batch = await sm2SignManyAsync(pair.key, messages);
    const single = await Promise.all(messages.map((m) => sm2SignAsync(pair.privateKey, m)));
    for (const [i, m] of messages.entries()) {
      assert.equal(sm2CrossCheck.verifyOpenssl(pair.publicKey, m, batch[i]!), true, `batch ${i}`);
      assert.equal(sm2CrossCheck.verifyOpenssl(pair.publicKey, m, single[i]!), true, `async ${i}`);
      assert.equal(await sm2VerifyAsync(pair.publicKey, m, batch[i]!), true);
    }
    // A fresh k every time: no two signatures share r.
    const rs = new Set([...batch, ...single].map((der) => decodeSm2Signature(der).r));
    assert.equal(rs.size, 400);
  });

  test('the GB/T 32918.5 vector verifies with ours and with OpenSSL', () => {
    const d = Buffer.from('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8', 'hex');
    const message = Buffer.from('message digest');
    const der = encodeSm2Signature({
      r: 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
      s: 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
    });
    const publicKey = Sm2PrivateKey.fromScalar(d).publicKey;
    assert.deepEqual(publicKey, referencePublicKey(d));
    assert.equal(sm2Verify(publicKey, message, der), true);
    assert.equal(sm2CrossCheck.verifyOpenssl(publicKey, message, der), true);
  });

  test('keys at the ends of [1, n-2] sign and verify both ways', () => {
    for (const d of [1n, 2n, n - 2n, n - 3n]) {
      const key = Sm2PrivateKey.fromScalar(be32(d));
      assert.deepEqual(key.publicKey, referencePublicKey(d));
      const message = randomMessage();
      const ours = sm2Sign(key, message);
      assert.equal(sm2CrossCheck.verifyOpenssl(key.publicKey, message, ours), true, `d=${d}`);
      assert.equal(sm2Verify(key.publicKey, message, sm2CrossCheck.signOpenssl(key, message)), true);
    }
  });
});

describe('the openssl CLI verifies our signatures', { skip: skipWithoutOpenssl }, () => {
  test('a sample of 12 signatures over 3 keys, and a tampered one is refused', async () => {
    await withTempDir((dir) => {
      for (let i = 0; i < 12; i++) {
        const pair = keys[i % 3]!;
        writeFileSync(join(dir, `pub${i}.pem`), publicKeyToPem(pair.publicKey));
        const message = randomMessage();
        writeFileSync(join(dir, `m${i}`), message);
        writeFileSync(join(dir, `s${i}`), sm2Sign(pair.key, message));
        const args = ['dgst', '-sm3', '-verify', `pub${i}.pem`, '-sigopt', 'distid:1234567812345678'];
        const r = openssl([...args, '-signature', `s${i}`, `m${i}`], dir);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Verified OK/);
        if (i === 0) {
          writeFileSync(join(dir, 'm0'), Buffer.concat([message, Buffer.from('x')]));
          assert.notEqual(openssl([...args, '-signature', 's0', 'm0'], dir).status, 0);
        }
      }
      assert.ok(readFileSync(join(dir, 's0')).length >= 8);
    });
  });
});

describe('damaged signatures are refused by ours exactly when OpenSSL refuses them', () => {
  const pair = keys[1]!;
  const message = Buffer.from('道路运输证 年审');
  const good = sm2Sign(pair.key, message);
  const { r, s } = decodeSm2Signature(good);

  /**
   * Both verifiers, which must agree; returns the common answer. Ours runs twice: with the
   * cached key (sm2.ts's LRU; past its 8th verification it has a table of P) and with a fresh
   * handle (no table: t·P by wNAF).
   */
  function both(signature: Uint8Array, data: Uint8Array = message, publicKey = pair.publicKey): boolean {
    const ours = sm2Verify(publicKey, data, signature);
    const fresh = sm2Verify(Sm2PublicKey.from(publicKey), data, signature);
    const theirs = sm2CrossCheck.verifyOpenssl(publicKey, data, signature);
    const sigHex = Buffer.from(signature).toString('hex');
    assert.equal(ours, theirs, `ours ${ours}, OpenSSL ${theirs}: ${sigHex}`);
    assert.equal(fresh, theirs, `ours (no table) ${fresh}, OpenSSL ${theirs}: ${sigHex}`);
    return ours;
  }

  test('the intact signature verifies, before and after the key gets its table', () => {
    for (let i = 0; i < 12; i++) assert.equal(both(good), true, `verification ${i + 1}`);
  });

  test('every single flipped bit of the DER signature is refused', () => {
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = Buffer.from(good);
      bad[bit >> 3]! ^= 0x80 >> (bit & 7);
      assert.equal(both(bad), false, `bit ${bit}`);
    }
  });

  test('every flipped bit of r and of s as numbers is refused', () => {
    for (let bit = 0; bit < 256; bit++) {
      const flip = 1n << BigInt(bit);
      for (const [rr, ss] of [
        [r ^ flip, s],
        [r, s ^ flip],
      ] as const) {
        if (rr === 0n || ss === 0n) continue;
        assert.equal(both(derSignature(rr, ss)), false, `bit ${bit}`);
      }
    }
  });

  test('a flipped bit anywhere in the message is refused', () => {
    for (let bit = 0; bit < message.length * 8; bit++) {
      const bad = Buffer.from(message);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(both(good, bad), false, `bit ${bit}`);
    }
    assert.equal(both(good, Buffer.alloc(0)), false);
  });

  test('r or s equal to 0, to n, above n, or r + s = n are refused', () => {
    const values = [0n, n, n + 1n, (1n << 256n) - 1n];
    for (const v of values) {
      assert.equal(both(derSignature(v, s)), false, `r = ${v}`);
      assert.equal(both(derSignature(r, v)), false, `s = ${v}`);
    }
    // r and s each in range, but t = r + s ≡ 0 (mod n).
    assert.equal(both(derSignature(r, n - r)), false);
    // The same (r, s) plus n still names the same residues, but is out of range.
    if (r + n < 1n << 256n) assert.equal(both(derSignature(r + n, s)), false);
    if (s + n < 1n << 256n) assert.equal(both(derSignature(r, s + n)), false);
  });

  test('"high-S" and other sign variants are not valid SM2 signatures', () => {
    // Unlike ECDSA, SM2's check uses t = r + s, so (r, n - s) is a different equation.
    assert.equal(both(derSignature(r, n - s)), false);
    assert.equal(both(derSignature(n - r, s)), false);
    assert.equal(both(derSignature(s, r)), false);
  });

  test('non-canonical DER of the valid (r, s) is refused', () => {
    const body = good.subarray(2);
    const variants: Buffer[] = [
      Buffer.concat([good, Buffer.from([0])]), // trailing byte
      Buffer.concat([Buffer.from([0x30, 0x81, body.length]), body]), // long-form length
      Buffer.concat([Buffer.from([0x30, body.length + 1]), body, Buffer.from([0])]), // padding inside
      Buffer.concat([Buffer.from([0x31]), good.subarray(1)]), // SET, not SEQUENCE
      good.subarray(0, good.length - 1),
    ];
    // r with one extra (non-minimal) leading zero byte.
    const rBytes = good.subarray(4, 4 + good[3]!);
    const padded = Buffer.concat([Buffer.from([0x02, rBytes.length + 1, 0x00]), rBytes]);
    const rest = good.subarray(4 + good[3]!);
    variants.push(Buffer.concat([Buffer.from([0x30, padded.length + rest.length]), padded, rest]));
    // r as a negative INTEGER: drop the 0x00 that keeps a high first byte positive.
    if (rBytes[0] === 0) {
      const neg = Buffer.concat([Buffer.from([0x02, rBytes.length - 1]), rBytes.subarray(1)]);
      variants.push(Buffer.concat([Buffer.from([0x30, neg.length + rest.length]), neg, rest]));
    }
    for (const [i, v] of variants.entries()) assert.equal(both(v), false, `variant ${i}`);
  });

  test('500 random mutations (bytes changed, cut, inserted): ours and OpenSSL always agree', () => {
    let accepted = 0;
    for (let i = 0; i < 500; i++) {
      let bad = Buffer.from(good);
      const kind = i % 3;
      if (kind === 0) bad[randomInt(bad.length)] = randomInt(256);
      else if (kind === 1) bad = bad.subarray(0, randomInt(bad.length));
      else {
        const at = randomInt(bad.length + 1);
        bad = Buffer.concat([bad.subarray(0, at), randomBytes(1), bad.subarray(at)]);
      }
      if (both(bad)) accepted++;
    }
    // Changing a byte to its own value leaves the signature intact; nothing else may pass.
    assert.ok(accepted <= 10, `${accepted} mutations accepted`);
  });

  test('random (r, s) pairs in range are refused by both', () => {
    for (let i = 0; i < 50; i++) {
      const rr = (bytesToBigint(randomBytes(32)) % (n - 1n)) + 1n;
      const ss = (bytesToBigint(randomBytes(32)) % (n - 1n)) + 1n;
      assert.equal(both(derSignature(rr, ss)), false);
    }
  });

  test('another key refuses it', () => {
    assert.equal(both(good, message, keys[2]!.publicKey), false);
  });
});

describe('keys are checked on import', () => {
  const publicKey = keys[0]!.publicKey;

  test('points off the curve are refused', () => {
    for (let i = 0; i < 64; i++) {
      const bad = Buffer.from(publicKey);
      bad[1 + randomInt(64)]! ^= 1 << randomInt(8);
      assert.throws(() => Sm2PublicKey.from(bad), invalidInput, `case ${i}`);
    }
    assert.throws(() => Sm2PublicKey.from(Buffer.concat([Buffer.from([4]), Buffer.alloc(64)])), invalidInput);
    const pAsX = Buffer.concat([Buffer.from([4]), be32(SM2_CURVE.p), publicKey.subarray(33)]);
    assert.throws(() => Sm2PublicKey.from(pAsX), invalidInput);
  });

  test('private scalars outside [1, n-2] are refused', () => {
    for (const d of [0n, n - 1n, n, n + 1n, (1n << 256n) - 1n]) {
      assert.throws(() => Sm2PrivateKey.fromScalar(be32(d)), invalidInput, `d = ${d}`);
    }
  });
});

describe('key lifetime', () => {
  // A child process with --expose-gc: the key handle is dropped and collected while 350
  // signatures under it are still queued on the pool; every one must come back valid.
  const ADDON = fileURLToPath(new URL('../../../native/build/Release/roadcert_sm2.node', import.meta.url));
  const SCRIPT = `
    const addon = require(process.argv[1]);
    (async () => {
      const msg = Buffer.from('gc');
      let collected = false;
      const registry = new FinalizationRegistry(() => { collected = true; });
      let pub;
      const pending = [];
      (() => {
        const pair = addon.generateKeyPair();
        pub = addon.importPublicKey(pair.publicKey);
        registry.register(pair.handle, 'key');
        for (let i = 0; i < 300; i++) pending.push(addon.signAsync(pair.handle, msg));
        pending.push(addon.signManyAsync(pair.handle, Array.from({ length: 50 }, () => msg)));
      })();
      for (let i = 0; i < 5; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
      const results = (await Promise.all(pending)).flat();
      for (let i = 0; i < 20 && !collected; i++) { global.gc(); await new Promise((r) => setTimeout(r, 10)); }
      const ok = results.every((sig) => addon.verifyOpenssl(pub, msg, sig) && addon.verify(pub, msg, sig));
      console.log(JSON.stringify({ count: results.length, ok, collected }));
    })();`;

  test('a key collected while its async jobs run stays valid until they finish', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', SCRIPT, ADDON], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { count: 350, ok: true, collected: true });
  });
});
