import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  computeZA,
  decodeSm2Signature,
  encodeSm2Signature,
  generateSm2KeyPair,
  publicKeyFromSpki,
  publicKeyToPem,
  publicKeyToSpki,
  Sm2PrivateKey,
  Sm2PublicKey,
  sm2Digest,
  sm2Sign,
  sm2SignAsync,
  sm2SignatureFromRaw,
  sm2SignatureToRaw,
  sm2Verify,
  sm2VerifyAsync,
} from '../../../src/crypto/sm2.ts';
import { SM2_CURVE } from '../../../src/crypto/sm2-curve.ts';
import { referencePublicKey, referenceSign, referenceVerify } from '../../../src/crypto/sm2-reference.ts';
import { AppError } from '../../../src/errors.ts';

const invalidInput = (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT';

// GB/T 32918.5 (and REFERENCE.md §5): the recommended-curve signature example.
const VECTOR = {
  d: Buffer.from('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8', 'hex'),
  message: Buffer.from('message digest'),
  k: Buffer.from('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21', 'hex'),
  za: 'b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3',
  e: 'f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640',
  r: 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
  s: 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
};

describe('SM2 GB/T 32918.5 vector', () => {
  const publicKey = referencePublicKey(VECTOR.d);

  test('the native import derives the same public key as the reference', () => {
    assert.deepEqual(Sm2PrivateKey.fromScalar(VECTOR.d).publicKey, publicKey);
  });

  test('Z_A and e', () => {
    assert.equal(computeZA(publicKey).toString('hex'), VECTOR.za);
    assert.equal(sm2Digest(publicKey, VECTOR.message).toString('hex'), VECTOR.e);
  });

  test('reference sign with the given k yields (r, s), and the reference verifies it', () => {
    const e = sm2Digest(publicKey, VECTOR.message);
    const sig = referenceSign({ privateKey: VECTOR.d, e, k: VECTOR.k });
    assert.deepEqual(sig, { r: VECTOR.r, s: VECTOR.s });
    assert.equal(referenceVerify(publicKey, e, { r: VECTOR.r, s: VECTOR.s }), true);
  });

  test('the native verify accepts the vector (r, s) and rejects any flipped bit', () => {
    const der = encodeSm2Signature({ r: VECTOR.r, s: VECTOR.s });
    assert.equal(sm2Verify(publicKey, VECTOR.message, der), true);
    for (let i = 0; i < der.length; i++) {
      const tampered = Buffer.from(der);
      tampered[i]! ^= 0x01;
      assert.equal(sm2Verify(publicKey, VECTOR.message, tampered), false, `byte ${i}`);
    }
    const otherMessage = Buffer.from(VECTOR.message);
    otherMessage[0]! ^= 0x80;
    assert.equal(sm2Verify(publicKey, otherMessage, der), false);
  });
});

describe('SM2 native sign / verify', () => {
  const pair = generateSm2KeyPair();

  test('generated keys have the right shape and re-import to the same point', () => {
    assert.equal(pair.privateKey.length, 32);
    assert.equal(pair.publicKey.length, 65);
    assert.equal(pair.publicKey[0], 0x04);
    assert.deepEqual(Sm2PrivateKey.fromScalar(pair.privateKey).publicKey, pair.publicKey);
    assert.deepEqual(referencePublicKey(pair.privateKey), pair.publicKey);
    assert.notDeepEqual(generateSm2KeyPair().privateKey, pair.privateKey);
  });

  test('property: native signatures verify natively and in the reference implementation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (message) => {
        const der = sm2Sign(pair.key, message);
        assert.equal(sm2Verify(pair.publicKey, message, der), true);
        assert.equal(
          referenceVerify(pair.publicKey, sm2Digest(pair.publicKey, message), decodeSm2Signature(der)),
          true,
        );
      }),
      { numRuns: 40 },
    );
  });

  test('property: reference signatures (random k) verify natively', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.bigInt({ min: 1n, max: SM2_CURVE.n - 1n }),
        (message, k) => {
          const sig = referenceSign({
            privateKey: pair.privateKey,
            e: sm2Digest(pair.publicKey, message),
            k,
          });
          fc.pre(sig !== null);
          assert.equal(sm2Verify(pair.publicKey, message, encodeSm2Signature(sig!)), true);
        },
      ),
      { numRuns: 15 },
    );
  });

  test('signatures are randomized, and a raw scalar signs like the imported key', () => {
    const m = Buffer.from('电子证照');
    const a = sm2Sign(pair.key, m);
    const b = sm2Sign(pair.privateKey, m);
    assert.notDeepEqual(a, b);
    assert.equal(sm2Verify(pair.publicKey, m, a), true);
    assert.equal(sm2Verify(Sm2PublicKey.from(pair.publicKey), m, b), true);
  });

  test('a signature does not verify under another key or for another message', () => {
    const m = Buffer.from('道路运输经营许可证');
    const der = sm2Sign(pair.key, m);
    assert.equal(sm2Verify(generateSm2KeyPair().publicKey, m, der), false);
    assert.equal(sm2Verify(pair.publicKey, Buffer.from('道路运输从业资格证'), der), false);
  });

  test('malformed signatures are false, never an exception', () => {
    const m = Buffer.from('x');
    const good = sm2Sign(pair.key, m);
    const cases: Uint8Array[] = [
      Buffer.alloc(0),
      Buffer.from([0x30]),
      Buffer.from([0x30, 0x00]),
      Buffer.from([0x30, 0x80, 0x00, 0x00]),
      Buffer.alloc(73, 0x30),
      Buffer.alloc(5000, 0xff),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
      sm2SignatureToRaw(good), // 64-byte r‖s is not DER
    ];
    for (let i = 0; i < 300; i++) cases.push(randomBytes(i % 80));
    for (const sig of cases) assert.equal(sm2Verify(pair.publicKey, m, sig), false);
  });

  test('non-canonical encodings of a valid (r, s) are refused', () => {
    const m = Buffer.from('canonical');
    const { r, s } = decodeSm2Signature(sm2Sign(pair.key, m));
    const int = (v: bigint, pad: number) => {
      let hex = v.toString(16);
      if (hex.length % 2) hex = `0${hex}`;
      const body = Buffer.concat([Buffer.alloc(pad), Buffer.from(hex, 'hex')]);
      return Buffer.concat([Buffer.from([0x02, body.length]), body]);
    };
    const padded = Buffer.concat([int(r, 2), int(s, 0)]);
    const der = Buffer.concat([Buffer.from([0x30, padded.length]), padded]);
    assert.equal(sm2Verify(pair.publicKey, m, der), false);
    assert.throws(() => decodeSm2Signature(der), invalidInput);
    // s' = n - s is the ECDSA-style malleation; SM2 has no such symmetry.
    assert.equal(sm2Verify(pair.publicKey, m, encodeSm2Signature({ r, s: SM2_CURVE.n - s })), false);
  });

  test('bad keys and inputs are CRYPTO_INVALID_INPUT with a message naming the problem', () => {
    assert.throws(
      () => sm2Sign(Buffer.alloc(31, 1), Buffer.from('x')),
      (e: unknown) => invalidInput(e) && (e as Error).message.includes('32 字节'),
    );
    assert.throws(() => Sm2PrivateKey.fromScalar(Buffer.alloc(32)), invalidInput); // d = 0
    const nMinus1 = Buffer.from((SM2_CURVE.n - 1n).toString(16), 'hex');
    assert.throws(() => Sm2PrivateKey.fromScalar(nMinus1), invalidInput);
    const offCurve = Buffer.from(pair.publicKey);
    offCurve[64]! ^= 1;
    assert.throws(() => sm2Verify(offCurve, Buffer.from('x'), Buffer.alloc(70)), invalidInput);
    assert.throws(
      () => sm2Verify(pair.publicKey.subarray(1), Buffer.from('x'), Buffer.alloc(70)),
      invalidInput,
    );
    assert.throws(() => sm2Sign(pair.key, 'text' as unknown as Uint8Array), invalidInput);
  });

  test('async sign of many messages in parallel on the thread pool', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`电子证照 #${i}`));
    const signatures = await Promise.all(messages.map((m) => sm2SignAsync(pair.key, m)));
    const verdicts = await Promise.all(
      messages.map((m, i) => sm2VerifyAsync(pair.publicKey, m, signatures[i]!)),
    );
    assert.ok(verdicts.every((v) => v === true));
    signatures.forEach((sig, i) => {
      assert.equal(sm2Verify(pair.publicKey, messages[i]!, sig), true);
    });
    assert.equal(await sm2VerifyAsync(pair.publicKey, messages[0]!, signatures[1]!), false);
    assert.equal(await sm2VerifyAsync(pair.publicKey, messages[0]!, Buffer.from([1, 2, 3])), false);
  });

  test('async input buffers may be changed right after the call', async () => {
    const data = Buffer.from('original');
    const pending = sm2SignAsync(pair.key, data);
    data.fill(0);
    assert.equal(sm2Verify(pair.publicKey, Buffer.from('original'), await pending), true);
  });

  test('async errors reject with AppError', async () => {
    await assert.rejects(sm2SignAsync(Buffer.alloc(5), Buffer.from('x')), invalidInput);
    await assert.rejects(sm2VerifyAsync(Buffer.alloc(65), Buffer.from('x'), Buffer.alloc(70)), invalidInput);
  });
});

describe('SM2 signature codec', () => {
  test('property: DER and raw r‖s round trip', () => {
    const scalar = fc.bigInt({ min: 1n, max: SM2_CURVE.n - 1n });
    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        const der = encodeSm2Signature({ r, s });
        assert.deepEqual(decodeSm2Signature(der), { r, s });
        const raw = sm2SignatureToRaw(der);
        assert.equal(raw.length, 64);
        assert.deepEqual(sm2SignatureFromRaw(raw), der);
      }),
    );
  });

  test('refuses out-of-range values, trailing data and wrong tags', () => {
    assert.throws(() => encodeSm2Signature({ r: 0n, s: 1n }), invalidInput);
    assert.throws(() => encodeSm2Signature({ r: 1n, s: SM2_CURVE.n }), invalidInput);
    const der = encodeSm2Signature({ r: 5n, s: 7n });
    assert.throws(() => decodeSm2Signature(Buffer.concat([der, Buffer.from([0])])), invalidInput);
    assert.throws(() => decodeSm2Signature(Buffer.from([0x31, ...der.subarray(1)])), invalidInput);
    assert.throws(() => decodeSm2Signature(Buffer.from('300602010502018f', 'hex')), invalidInput); // negative s
    assert.throws(() => sm2SignatureFromRaw(Buffer.alloc(63)), invalidInput);
  });
});

describe('SM2 SubjectPublicKeyInfo', () => {
  const { publicKey } = generateSm2KeyPair();

  test('DER and PEM round trip in the OpenSSL form (id-ecPublicKey + SM2 curve)', () => {
    const spki = publicKeyToSpki(publicKey);
    assert.equal(
      spki.subarray(0, 26).toString('hex'),
      '3059301306072a8648ce3d020106082a811ccf5501822d034200',
    );
    assert.deepEqual(publicKeyFromSpki(spki), publicKey);
    const pem = publicKeyToPem(publicKey);
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.deepEqual(publicKeyFromSpki(pem), publicKey);
    assert.deepEqual(publicKeyFromSpki(Buffer.from(pem)), publicKey);
  });

  test('refuses non-SM2 keys and bad PEM', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    assert.throws(() => publicKeyFromSpki(p256), invalidInput);
    assert.throws(() => publicKeyFromSpki('not a pem'), invalidInput);
    assert.throws(
      () => publicKeyFromSpki('-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n'),
      invalidInput,
    );
    assert.throws(() => publicKeyFromSpki(Buffer.from([0x30, 0x03, 0x02, 0x01])), invalidInput);
  });
});
