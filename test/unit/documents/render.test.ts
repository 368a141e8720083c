import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { SoftwareSigner } from '../../../src/crypto/signer.ts';
import { sm3Hex } from '../../../src/crypto/sm3.ts';
import {
  type CertificateSubject,
  createRootCertificate,
  createSealCertificate,
  type ParsedCertificate,
} from '../../../src/crypto/x509.ts';
import { unpackOfd } from '../../../src/documents/ofd/package.ts';
import { verifyOfd } from '../../../src/documents/ofd/verify-ofd.ts';
import { ofdChild, parseXml } from '../../../src/documents/ofd/xml.ts';
import { verifyPdf } from '../../../src/documents/pdf/verify-pdf.ts';
import { verifyQrPayload } from '../../../src/documents/qr/payload.ts';
import { type RenderCertificateInput, renderCertificate } from '../../../src/documents/render.ts';
import { sealPng } from '../../../src/documents/seal/seal-image.ts';
import { createSeal } from '../../../src/documents/seal/ses.ts';
import { DEFAULT_CATALOG } from '../../../src/domain/catalog/index.ts';
import { formatIdentifier, formatSerial } from '../../../src/domain/identifiers.ts';
import { sampleRecord } from '../../../src/domain/rules/samples.ts';
import { buildAssertion, sealAssertion } from '../../../src/services/issuance/seal-certificate.ts';

/**
 * Renders every kind of the default catalog to OFD and PDF with real keys and checks the
 * documents the way a holder and an officer would: the seal verifies, the printed page (PDF →
 * PNG with poppler) carries the Chinese text and a QR code that decodes to a verifying payload.
 * The PNGs go to test-artifacts/documents/ for a look.
 */

const SEAL_NAME = '辽宁省道路运输电子证照专用章';
const VEHICLE = '11100000000019713D013';
const ARTIFACTS = 'test-artifacts/documents';
const SIGNED_AT = new Date('2025-03-01T02:00:00Z');
const BASE_URL = 'https://zz.jtt.ln.gov.cn';
const subject = (commonName: string): CertificateSubject => ({
  country: 'CN',
  province: '辽宁省',
  organization: '辽宁省交通运输厅',
  commonName,
});
const d = (s: string) => new Date(s);
const jsQR = jsQRModule.default;
const poppler = spawnSync('pdftoppm', ['-v']).status === 0 && spawnSync('pdftotext', ['-v']).status === 0;

interface Rendered {
  /** Artifact name. */
  name: string;
  kindCode: string;
  input: RenderCertificateInput;
  ofd: Buffer;
  pdf: Buffer;
  qrText: string;
}

describe('certificate documents: every kind to OFD and PDF', () => {
  const maker = SoftwareSigner.generate('render-root').signer;
  const sealKey = SoftwareSigner.generate('seal-render-test').signer;
  let root: ParsedCertificate;
  let sealCert: ParsedCertificate;
  let seal: Buffer;
  const rendered: Rendered[] = [];

  async function certificateInput(
    kindCode: string,
    index: number,
    overrides?: Record<string, unknown>,
  ): Promise<RenderCertificateInput> {
    const record = sampleRecord(kindCode, overrides, { index });
    const kind = DEFAULT_CATALOG.kinds.find((k) => k.code === kindCode)!;
    const identifier = formatIdentifier({
      typeCode: kindCode,
      issuerCode: record.issuer.code,
      serial: formatSerial(2025, index + 1),
      version: 1,
    });
    const sealed = await sealAssertion(
      sealKey,
      buildAssertion({
        identifier,
        version: 1,
        kindName: kind.name,
        catalogVersion: 1,
        record,
        event: 'issue',
        previousIdentifier: null,
        sealKeyId: sealKey.keyId,
        sealName: SEAL_NAME,
        signedAt: SIGNED_AT,
      }),
    );
    return {
      certificate: sealed.assertion,
      signedData: sealed.signedData,
      catalog: DEFAULT_CATALOG,
      seal: { der: seal, signer: sealKey, certificate: sealCert },
      verifyBaseUrl: BASE_URL,
    };
  }

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
      notAfter: d('2030-01-01T00:00:00Z'),
    });
    seal = await createSeal({
      makerSigner: maker,
      makerCertificate: root,
      sealCertificate: sealCert,
      name: SEAL_NAME,
      picturePng: sealPng({ text: SEAL_NAME, sizePx: 400 }),
      validity: { start: sealCert.notBefore, end: sealCert.notAfter },
      createdAt: sealCert.notBefore,
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [i, kind] of DEFAULT_CATALOG.kinds.entries()) {
      const input = await certificateInput(kind.code, i);
      const ofd = await renderCertificate(input, 'ofd');
      const pdf = await renderCertificate(input, 'pdf');
      writeFileSync(join(ARTIFACTS, `${kind.code.slice(-3)}.ofd`), ofd.bytes);
      writeFileSync(join(ARTIFACTS, `${kind.code.slice(-3)}.pdf`), pdf.bytes);
      rendered.push({
        name: kind.code.slice(-3),
        kindCode: kind.code,
        input,
        ofd: ofd.bytes,
        pdf: pdf.bytes,
        qrText: pdf.qr.text,
      });
    }
    // 道路运输证 with the longest values its rules allow, to look at the shrunk, wrapped table.
    const long = (n: number) =>
      Array.from('辽宁省大连市甘井子区（XYZ-789）物流园、'.repeat(30)).slice(0, n).join('');
    const input = await certificateInput(VEHICLE, 20, {
      issuer: { name: long(200) },
      face: { ownerName: long(200), address: long(200), businessScope: long(500), remarks: long(500) },
    });
    const pdf = await renderCertificate(input, 'pdf');
    const ofd = await renderCertificate(input, 'ofd');
    writeFileSync(join(ARTIFACTS, '013-longest.pdf'), pdf.bytes);
    rendered.push({
      name: '013-longest',
      kindCode: VEHICLE,
      input,
      ofd: ofd.bytes,
      pdf: pdf.bytes,
      qrText: pdf.qr.text,
    });
  });

  test('the OFD of every kind verifies and carries the metadata and signed data D3 reads', () => {
    for (const r of rendered) {
      const verdict = verifyOfd(r.ofd, { trustedRoots: [root] });
      assert.deepEqual(verdict.failures, [], r.kindCode);
      const cert = r.input.certificate;
      assert.deepEqual(verdict.customData, {
        identifier: cert.identifier,
        kindCode: r.kindCode,
        certificateNumber: cert.certificateNumber,
        issuerCode: cert.issuer.code,
        issuerName: cert.issuer.name,
        catalogVersion: '1',
        templateId: DEFAULT_CATALOG.kinds.find((k) => k.code === r.kindCode)!.templateId,
        signedDataSm3: sm3Hex(r.input.signedData),
        issuedAt: SIGNED_AT.toISOString(),
      });
      assert.equal(verdict.signer?.signedAt.toISOString(), SIGNED_AT.toISOString(), 'signed at issuance');
      const files = unpackOfd(r.ofd);
      // REFERENCE §6 plus the attachment: nothing else in the package.
      assert.deepEqual(
        [...files.keys()],
        [
          'OFD.xml',
          'Doc_0/Attachs/Attachments.xml',
          'Doc_0/Attachs/certificate.json',
          'Doc_0/Document.xml',
          'Doc_0/DocumentRes.xml',
          'Doc_0/Pages/Page_0/Content.xml',
          'Doc_0/PublicRes.xml',
          'Doc_0/Res/font_3.otf',
          'Doc_0/Res/font_4.otf',
          'Doc_0/Res/image_5.png',
          'Doc_0/Res/image_6.png',
          'Doc_0/Signs/Sign_0/Seal.esl',
          'Doc_0/Signs/Sign_0/Signature.xml',
          'Doc_0/Signs/Sign_0/SignedValue.dat',
          'Doc_0/Signs/Signatures.xml',
        ],
      );
      assert.ok(Buffer.from(files.get('Doc_0/Attachs/certificate.json')!).equals(r.input.signedData));
      const doc = parseXml(files.get('Doc_0/Document.xml')!);
      assert.equal(ofdChild(doc, 'Attachments')?.text, 'Attachs/Attachments.xml');
      // Two subset fonts (regular + bold title), each tens of KB, not the 17 MB face.
      const fonts = [...files.keys()].filter((p) => /^Doc_0\/Res\/font_\d+\.otf$/.test(p));
      assert.equal(fonts.length, 2, [...files.keys()].join(' '));
      for (const f of fonts) assert.ok(files.get(f)!.length < 80_000, `${f}: ${files.get(f)!.length} bytes`);
      assert.ok(r.ofd.length < 250_000, `OFD ${r.ofd.length} bytes`);
    }
  });

  test('the PDF of every kind verifies, with the same metadata and the signed data attached', async () => {
    for (const r of rendered) {
      const verdict = await verifyPdf(r.pdf, { trustedRoots: [root] });
      assert.deepEqual(verdict.failures, [], r.kindCode);
      assert.equal(verdict.customData?.identifier, r.input.certificate.identifier);
      assert.equal(verdict.customData?.signedDataSm3, sm3Hex(r.input.signedData));
      assert.ok(verdict.signedData?.equals(r.input.signedData), 'signed data attached');
    }
  });

  test('the same certificate renders the same except SM2 signature values', async () => {
    const r = rendered[0]!;
    const again = unpackOfd((await renderCertificate(r.input, 'ofd')).bytes);
    const first = unpackOfd(r.ofd);
    assert.deepEqual([...again.keys()], [...first.keys()]);
    // The QR payload's and the seal's SM2 signatures are randomised; the QR picture and the
    // files that hash it follow. Everything else is byte-identical.
    const qrImage = [...first.keys()].filter((p) => p.endsWith('.png'));
    const varying = new Set([
      'Doc_0/Signs/Sign_0/SignedValue.dat',
      'Doc_0/Signs/Sign_0/Signature.xml',
      ...qrImage,
    ]);
    for (const [path, bytes] of first) {
      if (!varying.has(path)) assert.ok(Buffer.from(bytes).equals(again.get(path)!), path);
    }
  });

  test('printed at 100 dpi, every page shows its Chinese text and a QR code that verifies', {
    skip: !poppler && 'poppler-utils (pdftoppm, pdftotext) not installed',
  }, () => {
    for (const r of rendered) {
      const name = r.name;
      const pdfPath = join(ARTIFACTS, `${name}.pdf`);
      const render = spawnSync('pdftoppm', [
        '-r',
        '100',
        '-png',
        '-singlefile',
        pdfPath,
        join(ARTIFACTS, name),
      ]);
      assert.equal(render.status, 0, String(render.stderr));
      const png = PNG.sync.read(readFileSync(join(ARTIFACTS, `${name}.png`)));
      const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
      assert.ok(code, `${name}: no QR code found`);
      assert.equal(code.data, r.qrText);
      const qr = verifyQrPayload(code.data, {
        sealCertificates: [{ keyId: sealKey.keyId, pem: sealCert.pem }],
      });
      assert.ok(qr.ok, JSON.stringify(qr));
      assert.equal(qr.identifier, r.input.certificate.identifier);
      assert.equal(qr.digest, sm3Hex(r.input.signedData));

      // -raw keeps content-stream order, so a label wrapped over lines reads as one string.
      const text = spawnSync('pdftotext', ['-raw', pdfPath, '-'], { encoding: 'utf8' });
      assert.equal(text.status, 0, text.stderr);
      const flat = text.stdout.replace(/\s+/g, '');
      const kind = DEFAULT_CATALOG.kinds.find((k) => k.code === r.kindCode)!;
      const cert = r.input.certificate;
      for (const expected of [
        '中华人民共和国',
        kind.name,
        `编号：${cert.certificateNumber}`,
        `发证机关：${cert.issuer.name}`,
        '发证日期：2025年03月01日',
        '有效期限',
        cert.identifier,
        ...kind.fields.filter((f) => !/^(length|width|height)Mm$/.test(f.key)).map((f) => f.label),
        ...(kind.fields.some((f) => f.key === 'lengthMm') ? ['车辆尺寸（毫米）'] : []),
      ]) {
        assert.ok(flat.includes(expected), `${name}: “${expected}” missing in\n${text.stdout}`);
      }
      // Codes print as their Chinese meaning.
      const face = cert.face as Record<string, unknown>;
      if (face.gender) assert.ok(flat.includes(face.gender === '1' ? '男' : '女'), `${name}: gender`);
      if (face.plateColor)
        assert.ok(flat.includes(face.plateColor === '2' ? '黄' : '蓝'), `${name}: plate colour`);
      if (typeof face.name === 'string') assert.ok(flat.includes(face.name), `${name}: holder name`);
      if (typeof face.ownerName === 'string') assert.ok(flat.includes(face.ownerName), `${name}: owner name`);
    }
  });
});
