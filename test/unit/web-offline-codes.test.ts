import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import canonicalize from 'canonicalize';
import { encodeQrPayload, qrTextFromBytes } from '../../src/documents/qr/payload.ts';
import { encodeShowToken } from '../../src/services/verification/show-token.ts';
import { checkCode } from '../../web/src/verify/offline/codes.ts';
import { statusListSigned } from '../../web/src/verify/offline/status-list.ts';
import { parseSealCertificate, type SealCertificate } from '../../web/src/verify/offline/x509.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

/*
 * The officer page's offline reader (web/src/verify/offline) against codes made by the server's
 * own encoders and seal key: what one side writes, the other must read — and refuse when altered.
 */
describe('offline code checks in the verify page match the server', () => {
  let t: TestApp;
  let seals: SealCertificate[];
  const IDENTIFIER = '1.2.156.3005.2.11100000000019713D071.112101027300000106.202500000001.001.U';

  before(async () => {
    t = await createTestApp('pglite');
    const trust = t.keyring.requireTrust();
    seals = [parseSealCertificate(trust.sealKeyId, trust.sealCertificate)];
  });
  after(() => t.close());

  const token = (issuedAt = t.clock.now()) =>
    encodeShowToken(
      {
        identifier: IDENTIFIER,
        statusCode: '10',
        issuedAt,
        lifetimeSeconds: 60,
        kindCode: '11100000000019713D071',
        holderName: '张*',
        certificateNumber: '210102********1234',
        sealCertificate: t.keyring.requireTrust().sealCertificate,
      },
      t.keyring.sealSigner(),
    );

  test('the seal certificate is read as the server reads it', () => {
    const trust = t.keyring.requireTrust();
    assert.equal(seals[0]!.keyId, trust.sealKeyId);
    assert.equal(seals[0]!.notBefore.toISOString(), new Date(trust.notBefore).toISOString());
    assert.equal(seals[0]!.notAfter.toISOString(), new Date(trust.notAfter).toISOString());
    assert.match(seals[0]!.publicKeyHex, /^04[0-9a-f]{128}$/);
  });

  test('a 亮证 token: claims read back, SM2 signature checked, tampering and unknown seals refused', async () => {
    const { text, claims } = await token();
    const checked = checkCode(text, seals);
    assert.equal(checked.ok, true, JSON.stringify(checked));
    assert.ok(checked.ok && checked.type === 'token');
    assert.equal(checked.claims.identifier, IDENTIFIER);
    assert.equal(checked.claims.version, 1);
    assert.equal(checked.claims.statusCode, '10');
    assert.equal(checked.claims.nonce, claims.nonce);
    assert.equal(checked.claims.expiresAt.toISOString(), claims.expiresAt.toISOString());
    assert.equal(checked.claims.holderName, '张*');

    // One bit flipped inside the signed part.
    const bytes = Buffer.from(text, 'base64url');
    bytes[10]! ^= 1;
    assert.deepEqual(checkCode(bytes.toString('base64url'), seals), {
      ok: false,
      type: 'token',
      reason: 'SIGNATURE_INVALID',
    });
    assert.deepEqual(checkCode(text, []), { ok: false, type: 'token', reason: 'UNKNOWN_SEAL' });
    assert.deepEqual(checkCode(`${text.slice(0, -4)}`, seals).ok, false);
    assert.deepEqual(checkCode('hello', seals), { ok: false, type: 'unknown', reason: 'MALFORMED' });
  });

  test('a document QR: identifier and digest read back, tampering refused', async () => {
    const trust = t.keyring.requireTrust();
    const digest = 'ab'.repeat(32);
    const qr = await encodeQrPayload(
      {
        identifier: IDENTIFIER,
        signedDataDigest: digest,
        issuedAt: t.clock.now(),
        sealKeyId: trust.sealKeyId,
        sealCertificate: trust.sealCertificate,
      },
      t.keyring.sealSigner(),
      { baseUrl: 'https://ecert.example.gov.cn' },
    );
    const checked = checkCode(qr.text, seals);
    assert.ok(checked.ok && checked.type === 'document', JSON.stringify(checked));
    assert.equal(checked.claims.identifier, IDENTIFIER);
    assert.equal(checked.claims.digest, digest);

    const altered = Buffer.from(qr.bytes);
    altered[altered.length - 70]! ^= 1; // inside the seal fingerprint/time region
    const refused = checkCode(qrTextFromBytes('https://ecert.example.gov.cn', altered), seals);
    assert.equal(refused.ok, false);
  });

  test('the status list signature verifies in the page code path, and a changed list does not', async () => {
    const body = {
      issuedAt: t.clock.now().toISOString(),
      maxAgeSeconds: 86_400,
      sealKeyId: t.keyring.requireTrust().sealKeyId,
      entries: [{ identifier: IDENTIFIER, status: 'revoked' as const }],
    };
    const der = await t.keyring.sealSigner().sign(Buffer.from(canonicalize(body)!, 'utf8'));
    const list = { ...body, signature: der.toString('base64') };
    assert.equal(statusListSigned(list, seals), true);
    assert.equal(statusListSigned({ ...list, entries: [] }, seals), false);
    assert.equal(statusListSigned({ ...list, sealKeyId: 'other' }, seals), false);
  });
});
