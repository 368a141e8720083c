import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeUnsignedInteger, encodeTlv, encodeUnsignedInteger, readTlv } from '../../../src/crypto/der.ts';
import { fromPem, toPem } from '../../../src/crypto/pem.ts';
import { ensureSm2Native } from '../../../src/crypto/sm2.ts';
import { AppError } from '../../../src/errors.ts';

const invalidInput = (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT';

describe('PEM', () => {
  test('property: fromPem(toPem(x)) = x, with 64-column lines', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (der) => {
        const pem = toPem(der, 'PUBLIC KEY');
        assert.ok(pem.split('\n').every((line) => line.length <= 64));
        assert.deepEqual(new Uint8Array(fromPem(pem, 'PUBLIC KEY')), der);
      }),
    );
  });

  test('picks the labelled block and refuses mismatched or broken armour', () => {
    const two = toPem(Buffer.from([1, 2, 3]), 'PUBLIC KEY') + toPem(Buffer.from([4, 5, 6]), 'CERTIFICATE');
    assert.deepEqual(fromPem(two, 'CERTIFICATE'), Buffer.from([4, 5, 6]));
    assert.deepEqual(fromPem(`garbage before\n${two}`), Buffer.from([1, 2, 3]));
    assert.throws(() => fromPem(two, 'PRIVATE KEY'), invalidInput);
    assert.throws(
      () => fromPem('-----BEGIN CERTIFICATE-----\nAQID\n-----END PUBLIC KEY-----\n'),
      invalidInput,
    );
    assert.throws(
      () => fromPem('-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----\n'),
      invalidInput,
    );
    assert.throws(() => fromPem(''), invalidInput);
  });
});

describe('strict DER', () => {
  test('long lengths round trip; non-minimal and indefinite lengths are refused', () => {
    const content = Buffer.alloc(300, 1);
    const tlv = readTlv(encodeTlv(0x04, content), 0);
    assert.equal(tlv.end - tlv.contentStart, 300);
    assert.throws(() => readTlv(Buffer.from([0x04, 0x81, 0x05, 1, 2, 3, 4, 5]), 0), invalidInput);
    assert.throws(() => readTlv(Buffer.from([0x30, 0x80, 0x00, 0x00]), 0), invalidInput);
    assert.throws(() => readTlv(Buffer.from([0x04, 0x05, 1]), 0), invalidInput);
  });

  test('property: unsigned INTEGER round trip and minimality', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 300n) - 1n }), (v) => {
        const der = encodeUnsignedInteger(v);
        assert.equal(decodeUnsignedInteger(der, readTlv(der, 0)), v);
      }),
    );
    const padded = Buffer.from([0x02, 0x02, 0x00, 0x05]);
    assert.throws(() => decodeUnsignedInteger(padded, readTlv(padded, 0)), invalidInput);
  });
});

test('the SM2 addon is built and loads', () => {
  assert.doesNotThrow(() => ensureSm2Native());
});
