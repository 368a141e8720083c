import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { sm3 as sm3js } from 'sm-crypto-v2';
import { hmacSm3, Sm3Hmac, sm3, sm3Hex } from '../../../src/crypto/sm3.ts';

describe('SM3 (GB/T 32905)', () => {
  test('standard vectors', () => {
    assert.equal(sm3Hex('abc'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    assert.equal(sm3Hex(''), '1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b');
    // GB/T 32905 example 2: "abcd" repeated 16 times (512 bits).
    assert.equal(
      sm3Hex('abcd'.repeat(16)),
      'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
    );
    assert.equal(sm3('abc').length, 32);
  });

  test('agrees with an independent implementation (sm-crypto-v2), digest and HMAC', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        (msg, key) => {
          assert.equal(sm3Hex(msg), sm3js(msg));
          assert.equal(hmacSm3(key, msg).toString('hex'), sm3js(msg, { key }));
        },
      ),
      { numRuns: 100 },
    );
  });

  test('HMAC over reused buffers equals OpenSSL HMAC-SM3 for every key length (long keys hashed first)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 5 }),
        (key, parts) => {
          const reused = new Sm3Hmac(key);
          const expected = (data: Uint8Array) => createHmac('sm3', key).update(data).digest('hex');
          // Twice through the same object: the inner buffer grows and is reused.
          for (let round = 0; round < 2; round++) {
            assert.equal(reused.mac(parts).toString('hex'), expected(Buffer.concat(parts)));
          }
          assert.equal(hmacSm3(key, Buffer.concat(parts)).toString('hex'), expected(Buffer.concat(parts)));
        },
      ),
      { numRuns: 200 },
    );
    assert.equal(
      hmacSm3('key', 'data').toString('hex'),
      createHmac('sm3', 'key').update('data').digest('hex'),
    );
    assert.equal(sm3Hex(''), sm3(new Uint8Array()).toString('hex'));
  });
});
