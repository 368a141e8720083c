import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { SoftwareSigner } from '../../../src/crypto/signer.ts';
import { publicKeyToPem } from '../../../src/crypto/sm2.ts';
import { sm3 } from '../../../src/crypto/sm3.ts';
import {
  type CertificateSubject,
  createRootCertificate,
  createSealCertificate,
  type ParsedCertificate,
} from '../../../src/crypto/x509.ts';
import {
  createSeal,
  encodeSeal,
  encodeSealInfo,
  encodeSesSignature,
  encodeTbsSign,
  parseSeal,
  parseSesSignature,
  type SesFailureReason,
  signData,
  verifySesSignature,
} from '../../../src/documents/seal/ses.ts';
import { AppError } from '../../../src/errors.ts';
import { openssl, skipWithoutOpenssl, withTempDir } from '../crypto/openssl-cli.ts';

const SEAL_NAME = '辽宁省道路运输电子证照专用章';
const subject = (commonName: string): CertificateSubject => ({
  country: 'CN',
  province: '辽宁省',
  organization: '辽宁省交通运输厅',
  commonName,
});
const d = (s: string) => new Date(s);
const PROPERTY_INFO = '/Doc_0/Signs/Sign_0/Signature.xml';
const DATA = Buffer.from('<ofd:Signature>…</ofd:Signature>');
const SIGN_TIME = d('2025-06-01T08:00:00Z');

/** A tiny real PNG, so that the byte-flip sweep stays fast. */
function tinyPng(): Buffer {
  const png = new PNG({ width: 4, height: 4 });
  png.data.fill(0);
  for (let i = 0; i < 16; i++) png.data.set([212, 0, 0, 255], i * 4);
  return PNG.sync.write(png);
}

const invalidInput = (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT';

describe('GB/T 38540 v4 seal and signature', () => {
  const maker = SoftwareSigner.generate('seal-root-1').signer;
  const sealKey = SoftwareSigner.generate('seal-key-1').signer;
  const strangerRoot = SoftwareSigner.generate('stranger-root').signer;
  let root: ParsedCertificate;
  let sealCert: ParsedCertificate;
  let other: ParsedCertificate;
  let seal: Buffer;
  let signature: Buffer;

  const makeSeal = (overrides: Partial<Parameters<typeof createSeal>[0]> = {}) =>
    createSeal({
      makerSigner: maker,
      makerCertificate: root,
      sealCertificate: sealCert,
      name: SEAL_NAME,
      picturePng: tinyPng(),
      validity: { start: d('2025-01-01T00:00:00Z'), end: d('2027-01-01T00:00:00Z') },
      createdAt: d('2025-01-01T00:00:00Z'),
      ...overrides,
    });

  before(async () => {
    root = await createRootCertificate({
      signer: maker,
      subject: subject('辽宁省道路运输电子印章根证书'),
      notBefore: d('2025-01-01T00:00:00Z'),
      notAfter: d('2045-01-01T00:00:00Z'),
    });
    sealCert = await createSealCertificate({
      issuerSigner: maker,
      issuerCertificate: root,
      subjectPublicKey: sealKey.publicKey,
      subject: subject(SEAL_NAME),
      notBefore: d('2025-01-01T00:00:00Z'),
      notAfter: d('2028-01-01T00:00:00Z'),
    });
    other = await createRootCertificate({
      signer: strangerRoot,
      subject: subject('其他根证书'),
      notBefore: d('2025-01-01T00:00:00Z'),
      notAfter: d('2045-01-01T00:00:00Z'),
    });
    seal = await makeSeal();
    signature = await signData({
      seal,
      signer: sealKey,
      signerCertificate: sealCert,
      dataHash: sm3(DATA),
      propertyInfo: PROPERTY_INFO,
      time: SIGN_TIME,
    });
  });

  const refusedFor = (der: Uint8Array, reason: SesFailureReason, opts = {}) => {
    const verdict = verifySesSignature(der, { data: DATA, trustedRoots: [root], ...opts });
    assert.equal(verdict.ok, false);
    if (!verdict.ok) assert.equal(verdict.reason, reason, verdict.detail);
  };

  test('round trip: parse gives back every field, and the signature verifies', () => {
    const parsed = parseSesSignature(signature);
    assert.equal(parsed.version, 4);
    assert.equal(parsed.propertyInfo, PROPERTY_INFO);
    assert.equal(parsed.timeInfo.toISOString(), SIGN_TIME.toISOString());
    assert.deepEqual(parsed.dataHash, sm3(DATA));
    assert.deepEqual(parsed.signerCertificate, sealCert.der);
    assert.equal(parsed.signatureAlgID, '1.2.156.10197.1.501');
    assert.deepEqual(parsed.seal.der, seal);
    const info = parsed.seal.sealInfo;
    assert.deepEqual(info.header, { id: 'ES', version: 4, vid: 'roadcert' });
    assert.equal(info.esID, sealCert.serialHex);
    assert.equal(info.property.type, 1);
    assert.equal(info.property.name, SEAL_NAME);
    assert.equal(info.property.certListType, 1);
    assert.deepEqual(info.property.certList, [sealCert.der]);
    assert.equal(info.property.validEnd.toISOString(), '2027-01-01T00:00:00.000Z');
    assert.deepEqual(info.picture, { type: 'PNG', data: tinyPng(), widthMm: 42, heightMm: 42 });
    assert.deepEqual(parsed.seal.makerCertificate, root.der);
    assert.deepEqual(parseSeal(seal), parsed.seal);

    const verdict = verifySesSignature(signature, { data: DATA, trustedRoots: [root] });
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.detail);
    assert.ok(verifySesSignature(signature, { dataHash: sm3(DATA), trustedRoots: [root.pem] }).ok);
  });

  test('every single-byte flip is refused with a reason', () => {
    const reasons = new Map<string, number>();
    for (let i = 0; i < signature.length; i++) {
      for (const mask of [0x01, 0xff]) {
        const bad = Buffer.from(signature);
        bad[i]! ^= mask;
        const verdict = verifySesSignature(bad, { data: DATA, trustedRoots: [root] });
        assert.equal(verdict.ok, false, `flip ${mask} at byte ${i} accepted`);
        if (!verdict.ok) {
          assert.ok(verdict.detail.length > 0);
          reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1);
        }
      }
    }
    // The sweep reaches the structure, the signed part and the certificate outside it.
    for (const r of ['MALFORMED', 'SIGNATURE_INVALID'] as const) assert.ok(reasons.has(r), r);
  });

  test('refusals name what failed', async () => {
    refusedFor(signature, 'DATA_HASH_MISMATCH', { data: Buffer.from('other data') });
    refusedFor(signature, 'DATA_HASH_MISMATCH', { data: undefined, dataHash: Buffer.alloc(32) });
    refusedFor(signature, 'DATA_HASH_MISMATCH', { data: undefined });
    refusedFor(signature, 'CERTIFICATE_NOT_TRUSTED', { trustedRoots: [other] });
    refusedFor(signature, 'CERTIFICATE_NOT_TRUSTED', { trustedRoots: [] });
    refusedFor(signature, 'CERTIFICATE_NOT_TRUSTED', { trustedRoots: ['not a certificate'] });
    refusedFor(Buffer.alloc(0), 'MALFORMED');
    refusedFor(Buffer.concat([signature, Buffer.from([0])]), 'MALFORMED');
    refusedFor(seal, 'MALFORMED');
    // Never throws, whatever it is handed.
    for (const junk of [undefined, null, 'x', 42, {}]) {
      const v = verifySesSignature(junk as unknown as Uint8Array, junk as never);
      assert.equal(v.ok, false);
    }

    const parsed = parseSesSignature(signature);
    const resign = async (f: { seal?: Buffer; time?: Date; signer?: SoftwareSigner; cert?: Buffer }) => {
      const tbsDer = encodeTbsSign({
        seal: f.seal ?? seal,
        time: f.time ?? SIGN_TIME,
        dataHash: sm3(DATA),
        propertyInfo: PROPERTY_INFO,
      });
      return encodeSesSignature({
        tbsDer,
        signerCertificate: f.cert ?? sealCert.der,
        signature: await (f.signer ?? sealKey).sign(tbsDer),
      });
    };
    // Signed by the right key after the seal expired (signData itself would refuse).
    refusedFor(await resign({ time: d('2027-06-01T00:00:00Z') }), 'SEAL_OUTSIDE_VALIDITY');
    // A seal whose maker signature is broken.
    const brokenSeal = encodeSeal({
      sealInfoDer: parsed.seal.sealInfoDer,
      makerCertificate: root.der,
      signedValue: await strangerRoot.sign(parsed.seal.sealInfoDer),
    });
    refusedFor(await resign({ seal: brokenSeal }), 'SEAL_SIGNATURE_INVALID');
    // Someone whose certificate is not in the seal signs with it.
    const outsider = SoftwareSigner.generate('outsider').signer;
    const outsiderCert = await createSealCertificate({
      issuerSigner: maker,
      issuerCertificate: root,
      subjectPublicKey: outsider.publicKey,
      subject: subject('其他印章'),
      notBefore: d('2025-01-01T00:00:00Z'),
      notAfter: d('2028-01-01T00:00:00Z'),
    });
    refusedFor(await resign({ signer: outsider, cert: outsiderCert.der }), 'SIGNER_NOT_IN_SEAL');
    // A valid-looking signature by the seal key, but the certificate swapped for another.
    refusedFor(await resign({ cert: outsiderCert.der }), 'SIGNATURE_INVALID');
    // Signer certificate expired at signing time while the seal was still valid.
    const shortCert = await createSealCertificate({
      issuerSigner: maker,
      issuerCertificate: root,
      subjectPublicKey: sealKey.publicKey,
      subject: subject(SEAL_NAME),
      notBefore: d('2025-01-01T00:00:00Z'),
      notAfter: d('2025-03-01T00:00:00Z'),
    });
    const sealInfoDer = encodeSealInfo({
      ...parsed.seal.sealInfo.property,
      vid: 'roadcert',
      esID: 'x',
      certList: [shortCert.der],
      picture: parsed.seal.sealInfo.picture,
    });
    const shortSeal = encodeSeal({
      sealInfoDer,
      makerCertificate: root.der,
      signedValue: await maker.sign(sealInfoDer),
    });
    refusedFor(await resign({ seal: shortSeal, cert: shortCert.der }), 'CERTIFICATE_OUTSIDE_VALIDITY');
  });

  test('createSeal and signData refuse what they cannot stand behind', async () => {
    await assert.rejects(makeSeal({ makerSigner: sealKey }), invalidInput);
    await assert.rejects(makeSeal({ picturePng: Buffer.from('GIF89a') }), invalidInput);
    await assert.rejects(makeSeal({ name: ' ' }), invalidInput);
    await assert.rejects(
      makeSeal({ validity: { start: d('2025-01-01T00:00:00Z'), end: d('2030-01-01T00:00:00Z') } }),
      invalidInput,
      'seal outliving its certificate',
    );
    const base = {
      seal,
      signer: sealKey,
      signerCertificate: sealCert,
      dataHash: sm3(DATA),
      propertyInfo: PROPERTY_INFO,
      time: SIGN_TIME,
    };
    await assert.rejects(signData({ ...base, time: d('2027-02-01T00:00:00Z') }), invalidInput);
    await assert.rejects(signData({ ...base, signer: maker }), invalidInput);
    await assert.rejects(signData({ ...base, dataHash: Buffer.alloc(20) }), invalidInput);
    await assert.rejects(signData({ ...base, propertyInfo: '/文档/签名.xml' }), invalidInput);
    await assert.rejects(signData({ ...base, seal: seal.subarray(1) }), invalidInput);
  });

  test('openssl parses both structures and verifies both signatures', {
    skip: skipWithoutOpenssl,
  }, async () => {
    const parsed = parseSesSignature(signature);
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'sig.dat'), signature);
      writeFileSync(join(dir, 'seal.esl'), seal);
      writeFileSync(join(dir, 'tbs.der'), parsed.tbsDer);
      writeFileSync(join(dir, 'tbs.sig'), parsed.signature);
      writeFileSync(join(dir, 'signer.pem'), publicKeyToPem(sealCert.publicKey65));
      writeFileSync(join(dir, 'sealinfo.der'), parsed.seal.sealInfoDer);
      writeFileSync(join(dir, 'seal.sig'), parsed.seal.signedValue);
      writeFileSync(join(dir, 'maker.pem'), publicKeyToPem(root.publicKey65));

      for (const file of ['sig.dat', 'seal.esl']) {
        const r = openssl(['asn1parse', '-inform', 'DER', '-in', file], dir);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /IA5STRING\s+:ES/);
        assert.match(r.stdout, /:(SM2-with-SM3|1\.2\.156\.10197\.1\.501)/);
        assert.match(r.stdout, /UTF8STRING\s+:/);
      }
      const sigAsn1 = openssl(['asn1parse', '-inform', 'DER', '-in', 'sig.dat'], dir).stdout;
      assert.match(sigAsn1, new RegExp(`IA5STRING\\s+:${PROPERTY_INFO}`));
      assert.match(sigAsn1, /GENERALIZEDTIME\s+:20250601080000Z/);

      const verify = (pem: string, sig: string, data: string) =>
        openssl(
          ['dgst', '-sm3', '-verify', pem, '-sigopt', 'distid:1234567812345678', '-signature', sig, data],
          dir,
        );
      const tbs = verify('signer.pem', 'tbs.sig', 'tbs.der');
      assert.equal(tbs.stdout.trim(), 'Verified OK', tbs.stderr);
      const sealSig = verify('maker.pem', 'seal.sig', 'sealinfo.der');
      assert.equal(sealSig.stdout.trim(), 'Verified OK', sealSig.stderr);
      // And openssl agrees that the other key did not sign it.
      assert.notEqual(verify('maker.pem', 'tbs.sig', 'tbs.der').stdout.trim(), 'Verified OK');
    });
  });
});
