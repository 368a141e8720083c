import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sm2 as sm2js } from 'sm-crypto-v2';
import {
  computeZA,
  generateSm2KeyPair,
  publicKeyFromSpki,
  publicKeyToPem,
  Sm2PrivateKey,
  sm2Sign,
  sm2Verify,
} from '../../../src/crypto/sm2.ts';
import {
  openssl,
  scalarFromSec1Der,
  sec1PrivateKeyPem,
  skipWithoutOpenssl,
  withTempDir,
} from './openssl-cli.ts';

const DISTID = 'distid:1234567812345678';

const MESSAGES = [
  Buffer.alloc(0),
  Buffer.from('abc'),
  Buffer.from('辽宁省道路运输电子证照专用章'),
  Buffer.alloc(1 << 20, 0x5a), // 1 MiB, several update calls inside OpenSSL
];

describe('SM2 interop with the openssl CLI (standard ID)', { skip: skipWithoutOpenssl }, () => {
  test('openssl signs with its own key; we verify, and import its private key to the same point', async () => {
    await withTempDir((dir) => {
      assert.equal(openssl(['genpkey', '-algorithm', 'SM2', '-out', 'key.pem'], dir).status, 0);
      assert.equal(openssl(['pkey', '-in', 'key.pem', '-pubout', '-out', 'pub.pem'], dir).status, 0);
      assert.equal(openssl(['ec', '-in', 'key.pem', '-outform', 'DER', '-out', 'key.der'], dir).status, 0);
      const publicKey = publicKeyFromSpki(readFileSync(join(dir, 'pub.pem'), 'utf8'));
      const d = scalarFromSec1Der(readFileSync(join(dir, 'key.der')));
      assert.deepEqual(Sm2PrivateKey.fromScalar(d).publicKey, publicKey);

      MESSAGES.forEach((message, i) => {
        writeFileSync(join(dir, `m${i}`), message);
        const r = openssl(
          ['dgst', '-sm3', '-sign', 'key.pem', '-sigopt', DISTID, '-out', `s${i}`, `m${i}`],
          dir,
        );
        assert.equal(r.status, 0, r.stderr);
        const signature = readFileSync(join(dir, `s${i}`));
        assert.equal(sm2Verify(publicKey, message, signature), true, `message ${i}`);
        const other = Buffer.concat([message, Buffer.from([1])]);
        assert.equal(sm2Verify(publicKey, other, signature), false);
      });

      // Without the standard ID OpenSSL 3.0 hashes an empty ID: such signatures must not pass.
      writeFileSync(join(dir, 'plain'), 'abc');
      assert.equal(
        openssl(['dgst', '-sm3', '-sign', 'key.pem', '-out', 'plain.sig', 'plain'], dir).status,
        0,
      );
      assert.equal(sm2Verify(publicKey, Buffer.from('abc'), readFileSync(join(dir, 'plain.sig'))), false);
    });
  });

  test('we sign; openssl verifies with distid, and refuses a tampered message', async () => {
    const pair = generateSm2KeyPair();
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'pub.pem'), publicKeyToPem(pair.publicKey));
      MESSAGES.forEach((message, i) => {
        writeFileSync(join(dir, `m${i}`), message);
        writeFileSync(join(dir, `s${i}`), sm2Sign(pair.key, message));
        const ok = openssl(
          ['dgst', '-sm3', '-verify', 'pub.pem', '-sigopt', DISTID, '-signature', `s${i}`, `m${i}`],
          dir,
        );
        assert.equal(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, /Verified OK/);
      });
      writeFileSync(join(dir, 'm1'), 'abd');
      const bad = openssl(
        ['dgst', '-sm3', '-verify', 'pub.pem', '-sigopt', DISTID, '-signature', 's1', 'm1'],
        dir,
      );
      assert.notEqual(bad.status, 0);
      assert.match(bad.stdout, /Verification failure/);
    });
  });

  test('openssl signs with our key written as SEC1 PEM; we verify', async () => {
    const pair = generateSm2KeyPair();
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'key.pem'), sec1PrivateKeyPem(pair.privateKey, pair.publicKey), {
        mode: 0o600,
      });
      const pub = openssl(['pkey', '-in', 'key.pem', '-pubout'], dir);
      assert.equal(pub.status, 0, pub.stderr);
      assert.deepEqual(publicKeyFromSpki(pub.stdout), pair.publicKey);
      writeFileSync(join(dir, 'm'), MESSAGES[2]!);
      assert.equal(
        openssl(['dgst', '-sm3', '-sign', 'key.pem', '-sigopt', DISTID, '-out', 's', 'm'], dir).status,
        0,
      );
      assert.equal(sm2Verify(pair.publicKey, MESSAGES[2]!, readFileSync(join(dir, 's'))), true);
    });
  });
});

describe('SM2 interop with sm-crypto-v2 (default user id, DER)', () => {
  const pair = generateSm2KeyPair();
  const publicHex = pair.publicKey.toString('hex');

  test('same Z_A', () => {
    assert.equal(
      Buffer.from(sm2js.getZ(publicHex)).toString('hex'),
      computeZA(pair.publicKey).toString('hex'),
    );
  });

  test('it verifies our signatures', () => {
    for (const message of MESSAGES.slice(0, 3)) {
      const der = sm2Sign(pair.key, message);
      assert.equal(
        sm2js.doVerifySignature(message, der.toString('hex'), publicHex, { der: true, hash: true }),
        true,
      );
    }
  });

  test('we verify its signatures', () => {
    for (const message of MESSAGES.slice(0, 3)) {
      const sigHex = sm2js.doSignature(message, pair.privateKey.toString('hex'), {
        der: true,
        hash: true,
        publicKey: publicHex,
      });
      assert.equal(sm2Verify(pair.publicKey, message, Buffer.from(sigHex, 'hex')), true);
    }
  });
});
