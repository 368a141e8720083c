import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { SoftwareSigner } from '../../../src/crypto/signer.ts';
import { generateSm2KeyPair } from '../../../src/crypto/sm2.ts';
import {
  type CertificateSubject,
  createRootCertificate,
  createSealCertificate,
  fromPem,
  type ParsedCertificate,
  parseCertificate,
  toPem,
  verifyCertificateSignature,
} from '../../../src/crypto/x509.ts';
import { AppError } from '../../../src/errors.ts';
import { openssl, skipWithoutOpenssl, withTempDir } from './openssl-cli.ts';

const invalidInput = (e: unknown) => e instanceof AppError && e.code === 'CRYPTO_INVALID_INPUT';

const ROOT_SUBJECT: CertificateSubject = {
  country: 'CN',
  province: '辽宁省',
  organization: '辽宁省交通运输厅',
  commonName: '辽宁省道路运输电子证照根证书',
};
const SEAL_SUBJECT: CertificateSubject = {
  country: 'CN',
  province: '辽宁省',
  organization: '辽宁省交通运输厅',
  commonName: '辽宁省道路运输电子证照专用章',
};

describe('X.509 seal PKI', () => {
  const rootSigner = SoftwareSigner.generate('root-1').signer;
  const sealKey = generateSm2KeyPair();
  let root: ParsedCertificate;
  let seal: ParsedCertificate;

  before(async () => {
    root = await createRootCertificate({
      signer: rootSigner,
      subject: ROOT_SUBJECT,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      // Past 2049: must be GeneralizedTime (RFC 5280 §4.1.2.5).
      notAfter: new Date('2055-01-01T00:00:00Z'),
      serialNumber: 0x2025_0001n,
    });
    seal = await createSealCertificate({
      issuerSigner: rootSigner,
      issuerCertificate: root.pem,
      subjectPublicKey: sealKey.publicKey,
      subject: SEAL_SUBJECT,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2030-01-01T00:00:00Z'),
    });
  });

  test('parsed fields', () => {
    assert.deepEqual(root.subject, ROOT_SUBJECT);
    assert.deepEqual(root.issuer, ROOT_SUBJECT);
    assert.equal(root.serialHex, '20250001');
    assert.equal(root.isCA, true);
    assert.deepEqual(root.publicKey65, rootSigner.publicKey);
    assert.equal(root.notAfter.toISOString(), '2055-01-01T00:00:00.000Z');

    assert.deepEqual(seal.subject, SEAL_SUBJECT);
    assert.deepEqual(seal.issuer, ROOT_SUBJECT);
    assert.equal(seal.isCA, false);
    assert.deepEqual(seal.publicKey65, sealKey.publicKey);
    assert.match(seal.serialHex, /^[0-9a-f]{32}$/);
    assert.equal(seal.authorityKeyId, root.subjectKeyId);
    assert.notEqual(seal.subjectKeyId, root.subjectKeyId);
    assert.deepEqual(parseCertificate(seal.der).der, seal.der);
    assert.deepEqual(fromPem(toPem(seal.der)), seal.der);
  });

  test('verifyCertificateSignature accepts the chain and refuses wrong issuers and tampering', () => {
    assert.equal(verifyCertificateSignature(seal, root), true);
    assert.equal(verifyCertificateSignature(root.pem, root.der), true);
    assert.equal(verifyCertificateSignature(seal, seal), false);
    assert.equal(verifyCertificateSignature(root, seal), false);

    // Change one byte of the subject CN inside the TBS, then of the signature value.
    const cn = Buffer.from(SEAL_SUBJECT.commonName, 'utf8');
    const at = seal.der.indexOf(cn);
    assert.ok(at > 0);
    const tamperedTbs = Buffer.from(seal.der);
    tamperedTbs[at + 3]! ^= 0x01;
    assert.equal(verifyCertificateSignature(tamperedTbs, root), false);
    const tamperedSig = Buffer.from(seal.der);
    tamperedSig[tamperedSig.length - 5]! ^= 0x01;
    assert.equal(verifyCertificateSignature(tamperedSig, root), false);

    // The outer signatureAlgorithm (outside the signed TBS) changed to 1.2.156.10197.1.502: the
    // signature still matches the TBS, but the certificate no longer says SM2-with-SM3.
    const sm2WithSm3 = Buffer.from('06082a811ccf55018375', 'hex');
    const outer = seal.der.lastIndexOf(sm2WithSm3);
    assert.ok(outer > seal.der.indexOf(sm2WithSm3), 'the OID stands twice');
    const otherAlg = Buffer.from(seal.der);
    otherAlg[outer + sm2WithSm3.length - 1] = 0x76;
    assert.equal(parseCertificate(otherAlg).signedWithSm2Sm3, false);
    assert.equal(verifyCertificateSignature(otherAlg, root), false);
    assert.equal(parseCertificate(seal.der).signedWithSm2Sm3, true);
  });

  test('openssl reads both certificates and shows the Chinese names', {
    skip: skipWithoutOpenssl,
  }, async () => {
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'root.pem'), root.pem);
      writeFileSync(join(dir, 'seal.pem'), seal.pem);
      const rootText = openssl(['x509', '-in', 'root.pem', '-text', '-noout', '-nameopt', 'utf8'], dir);
      assert.equal(rootText.status, 0, rootText.stderr);
      assert.match(rootText.stdout, /Signature Algorithm: SM2-with-SM3/);
      assert.match(rootText.stdout, /CN=辽宁省道路运输电子证照根证书/);
      assert.match(rootText.stdout, /CA:TRUE/);
      assert.match(rootText.stdout, /Certificate Sign, CRL Sign/);
      assert.match(rootText.stdout, /Not After : Jan {2}1 00:00:00 2055 GMT/);

      const sealText = openssl(['x509', '-in', 'seal.pem', '-text', '-noout', '-nameopt', 'utf8'], dir);
      assert.equal(sealText.status, 0, sealText.stderr);
      assert.match(
        sealText.stdout,
        /Subject: C=CN, ST=辽宁省, O=辽宁省交通运输厅, CN=辽宁省道路运输电子证照专用章/,
      );
      assert.match(
        sealText.stdout,
        /Issuer: C=CN, ST=辽宁省, O=辽宁省交通运输厅, CN=辽宁省道路运输电子证照根证书/,
      );
      assert.match(sealText.stdout, /Digital Signature, Non Repudiation/);
      assert.match(sealText.stdout, /CA:FALSE/);
      assert.match(sealText.stdout, /ASN1 OID: SM2/);
    });
  });

  test('openssl verifies the chain with the standard SM2 ID', { skip: skipWithoutOpenssl }, async () => {
    const impostor = await createRootCertificate({
      signer: SoftwareSigner.generate('root-x').signer,
      subject: ROOT_SUBJECT,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2035-01-01T00:00:00Z'),
    });
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'root.pem'), root.pem);
      writeFileSync(join(dir, 'impostor.pem'), impostor.pem);
      writeFileSync(join(dir, 'seal.pem'), seal.pem);
      // OpenSSL 3.0 checks certificate signatures with an empty SM2 ID unless told otherwise;
      // GM/T 0015 certificates carry default-ID signatures, so the ID is passed explicitly.
      const verify = (ca: string) =>
        openssl(['verify', '-vfyopt', 'distid:1234567812345678', '-CAfile', ca, 'seal.pem'], dir);
      const ok = verify('root.pem');
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /seal\.pem: OK/);
      // Same issuer name, different key: refused.
      assert.notEqual(verify('impostor.pem').status, 0);
    });
  });

  test('a certificate openssl signs with the standard ID verifies with ours', {
    skip: skipWithoutOpenssl,
  }, async () => {
    await withTempDir((dir) => {
      assert.equal(openssl(['genpkey', '-algorithm', 'SM2', '-out', 'ca.key'], dir).status, 0);
      const r = openssl(
        [
          'req',
          '-x509',
          '-new',
          '-key',
          'ca.key',
          '-sm3',
          '-sigopt',
          'distid:1234567812345678',
          '-days',
          '30',
          '-subj',
          '/C=CN/O=测试机构/CN=测试根证书',
          '-utf8',
          '-out',
          'ca.pem',
        ],
        dir,
      );
      assert.equal(r.status, 0, r.stderr);
      const cert = parseCertificate(readFileSync(join(dir, 'ca.pem'), 'utf8'));
      assert.equal(cert.subject.commonName, '测试根证书');
      assert.equal(cert.subject.organization, '测试机构');
      assert.equal(verifyCertificateSignature(cert, cert), true);
    });
  });

  test('refusals: wrong issuer key, non-CA issuer, bad dates, bad names, bad input', async () => {
    const base = {
      issuerCertificate: root,
      subjectPublicKey: sealKey.publicKey,
      subject: SEAL_SUBJECT,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2030-01-01T00:00:00Z'),
    };
    await assert.rejects(
      createSealCertificate({ ...base, issuerSigner: SoftwareSigner.generate('x').signer }),
      invalidInput,
    );
    await assert.rejects(
      createSealCertificate({ ...base, issuerSigner: rootSigner, issuerCertificate: seal }),
      invalidInput,
    );
    await assert.rejects(
      createSealCertificate({
        ...base,
        issuerSigner: rootSigner,
        notAfter: new Date('2024-01-01T00:00:00Z'),
      }),
      invalidInput,
    );
    await assert.rejects(
      createSealCertificate({
        ...base,
        issuerSigner: rootSigner,
        subject: { country: 'China', commonName: 'x' },
      }),
      invalidInput,
    );
    await assert.rejects(
      createSealCertificate({
        ...base,
        issuerSigner: rootSigner,
        subject: { country: 'CN', commonName: '' },
      }),
      invalidInput,
    );
    const offCurve = Buffer.from(sealKey.publicKey);
    offCurve[64]! ^= 1;
    await assert.rejects(
      createSealCertificate({ ...base, issuerSigner: rootSigner, subjectPublicKey: offCurve }),
      invalidInput,
    );
    assert.throws(
      () => parseCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      invalidInput,
    );
    assert.throws(() => parseCertificate('no pem here'), invalidInput);
    assert.throws(() => parseCertificate(seal.der.subarray(0, seal.der.length - 1)), invalidInput);
    assert.throws(() => parseCertificate(Buffer.concat([seal.der, Buffer.from([0])])), invalidInput);
  });

  test('non-SM2 certificates are refused with a clear error', { skip: skipWithoutOpenssl }, async () => {
    await withTempDir((dir) => {
      const r = openssl(
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          'k.pem',
          '-subj',
          '/CN=p256',
          '-days',
          '1',
          '-out',
          'c.pem',
        ],
        dir,
      );
      assert.equal(r.status, 0, r.stderr);
      assert.throws(
        () => parseCertificate(readFileSync(join(dir, 'c.pem'), 'utf8')),
        (e: unknown) => invalidInput(e) && (e as Error).message.includes('SM2'),
      );
    });
  });
});
