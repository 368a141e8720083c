import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { AppError } from '../../../src/errors.ts';
import { holderIndex } from '../../../src/services/holders/upsert-holder.ts';
import { counterBlocks, PiiVault } from '../../../src/services/pii.ts';

const refusedWith = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

describe('PII vault, batch forms (bulk issuance)', () => {
  const vault = new PiiVault(randomBytes(16));

  test('sealMany gives values that open, in order, for every length and for bytes as for strings', () => {
    const values = [
      '',
      'a',
      '13800138000',
      '210102199001011234',
      '辽宁省沈阳市和平区道路运输有限公司',
      'x'.repeat(15),
      'x'.repeat(16),
      'x'.repeat(17),
      'y'.repeat(32),
      'z'.repeat(33),
      JSON.stringify({ face: '道路运输证'.repeat(60) }),
    ];
    const sealed = vault.sealMany('holder.name', [...values, Buffer.from(values[4]!, 'utf8')]);
    assert.equal(sealed.length, values.length + 1);
    sealed.forEach((s, i) => {
      assert.equal(vault.open('holder.name', s), values[i] ?? values[4]);
      const bytes = Buffer.from(s, 'base64');
      // version ‖ iv ‖ ciphertext ‖ tag, as sm4Seal writes it.
      assert.equal(bytes[0], 1);
      assert.equal(bytes.length, 1 + 16 + Buffer.byteLength(values[i] ?? values[4]!, 'utf8') + 32);
    });
    // Each value has its own IV: the same plaintext twice seals differently.
    assert.notEqual(sealed[4], sealed[values.length]);
    assert.equal(
      new Set(sealed.map((s) => Buffer.from(s, 'base64').subarray(1, 17).toString('hex'))).size,
      12,
    );
    assert.deepEqual(vault.sealMany('holder.name', []), []);
  });

  test('a batch-sealed value is bound to its field and to every byte', () => {
    const [sealed] = vault.sealMany('holder.id', ['210102199001011234']);
    assert.throws(() => vault.open('holder.phone', sealed!), refusedWith('CRYPTO_AUTH_FAILED'));
    const bytes = Buffer.from(sealed!, 'base64');
    for (const at of [0, 5, 20, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[at]! ^= 1;
      assert.throws(
        () => vault.open('holder.id', tampered.toString('base64')),
        refusedWith('CRYPTO_AUTH_FAILED'),
      );
    }
    // A vault with another KEK cannot open it.
    assert.throws(
      () => new PiiVault(randomBytes(16)).open('holder.id', sealed!),
      refusedWith('CRYPTO_AUTH_FAILED'),
    );
  });

  test('the counter blocks are OpenSSL SM4-CTR counting, carries and 128-bit wrap included', () => {
    const key = randomBytes(16);
    const ivs = Buffer.concat([
      Buffer.alloc(16, 0xff),
      Buffer.from('000000000000000000000000000000f0', 'hex'),
      Buffer.from('0000000000000000ffffffffffffff00', 'hex'),
      randomBytes(16),
    ]);
    const lengths = [70, 0, 16 * 300 + 3, 901];
    const ecb = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    const keystream = ecb.update(counterBlocks(ivs, lengths));
    let at = 0;
    lengths.forEach((length, i) => {
      const ctr = createCipheriv('sm4-ctr', key, ivs.subarray(i * 16, i * 16 + 16));
      const expected = ctr.update(Buffer.alloc(length));
      assert.deepEqual(keystream.subarray(at, at + length), expected, `message ${i}`);
      at += Math.ceil(length / 16) * 16;
    });
    assert.equal(at, keystream.length);
  });

  test('indexMany gives index() value by value, holder keys included', () => {
    const values = ['13800138000', '２１０１０２１９９００１０１１２３x ', '210102199001011234'.repeat(20)];
    assert.deepEqual(
      vault.indexMany('holder.phone', values),
      values.map((v) => vault.index('holder.phone', v)),
    );
    // The bulk path builds holderIndex's key itself.
    assert.deepEqual(vault.indexMany('holder.id', ['01:21010219900101123X']), [
      holderIndex(vault, '01', '21010219900101123X'),
    ]);
    assert.notEqual(vault.indexMany('holder.id', ['x'])[0], vault.indexMany('holder.phone', ['x'])[0]);
    assert.throws(() => vault.indexMany('holder.phone', ['a', ' ']), refusedWith('CRYPTO_INVALID_INPUT'));
  });
});
