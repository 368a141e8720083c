import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  checkShowToken,
  checkShowTokenAsync,
  encodeShowToken,
} from '../../../src/services/verification/show-token.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

/*
 * The online check verifies a token's SM2 signature on the thread pool (checkShowTokenAsync); it
 * must judge every token exactly as the synchronous check does.
 */
describe('亮证 token check on the thread pool', () => {
  let t: TestApp;
  const IDENTIFIER = '1.2.156.3005.2.11100000000019713D071.112101027300000106.202500000001.001.U';

  before(async () => {
    t = await createTestApp('pglite');
  });
  after(() => t.close());

  const seals = () => {
    const trust = t.keyring.requireTrust();
    return [{ keyId: trust.sealKeyId, pem: trust.sealCertificate }];
  };
  const token = async () =>
    (
      await encodeShowToken(
        {
          identifier: IDENTIFIER,
          statusCode: '10',
          issuedAt: t.clock.now(),
          lifetimeSeconds: 60,
          kindCode: '11100000000019713D071',
          holderName: '张*',
          certificateNumber: '210102********1234',
          sealCertificate: t.keyring.requireTrust().sealCertificate,
        },
        t.keyring.sealSigner(),
      )
    ).text;

  /** The token's bytes with one byte changed at `at` (negative: from the end). */
  const flip = (text: string, at: number) => {
    const bytes = Buffer.from(text, 'base64url');
    const i = at < 0 ? bytes.length + at : at;
    bytes[i] = bytes[i]! ^ 0x01;
    return bytes.toString('base64url');
  };

  test('valid, tampered, malformed and unknown-seal tokens get the same verdict both ways', async () => {
    const good = await token();
    const cases: [string, string, string][] = [
      ['valid', good, 'ok'],
      ['signature byte changed', flip(good, -5), 'SIGNATURE_INVALID'],
      ['nonce byte changed', flip(good, 10), 'SIGNATURE_INVALID'],
      ['not a token', 'hello', 'MALFORMED'],
      ['truncated', good.slice(0, 40), 'MALFORMED'],
    ];
    for (const [name, text, expected] of cases) {
      const sync = checkShowToken(text, seals());
      const pooled = await checkShowTokenAsync(text, seals());
      assert.deepEqual(pooled, sync, name);
      assert.equal(pooled.ok ? 'ok' : pooled.reason, expected, name);
    }
    const foreign = await checkShowTokenAsync(good, []);
    assert.deepEqual(foreign, checkShowToken(good, []));
    assert.equal(foreign.ok ? 'ok' : foreign.reason, 'UNKNOWN_SEAL');
  });

  test('many checks at once on the pool each get their own answer', async () => {
    const texts = await Promise.all(Array.from({ length: 12 }, () => token()));
    const mixed = texts.map((text, i) => (i % 3 === 0 ? flip(text, -3) : text));
    const verdicts = await Promise.all(mixed.map((text) => checkShowTokenAsync(text, seals())));
    verdicts.forEach((v, i) => {
      assert.equal(v.ok, i % 3 !== 0, `token ${i}`);
    });
  });
});
