import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import fc from 'fast-check';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { toPem } from '../../../src/crypto/pem.ts';
import { type Signer, SoftwareSigner } from '../../../src/crypto/signer.ts';
import { publicKeyToSpki, sm2SignatureFromRaw } from '../../../src/crypto/sm2.ts';
import { sm3Hex } from '../../../src/crypto/sm3.ts';
import {
  type CertificateSubject,
  createRootCertificate,
  createSealCertificate,
  type ParsedCertificate,
} from '../../../src/crypto/x509.ts';
import {
  decodeQrPayload,
  type EncodedQrPayload,
  encodeQrPayload,
  matchesDocument,
  type QrTrust,
  qrTextFromBytes,
  qrTrustFromTrustMaterial,
  verifyQrPayload,
} from '../../../src/documents/qr/payload.ts';
import { qrPng, qrPrintSizeMm, qrSvg, qrSymbolInfo } from '../../../src/documents/qr/qr-image.ts';
import { computeOrganizationCodeCheckChar, computeUsccCheckChar } from '../../../src/domain/checkdigits.ts';
import { formatIdentifier, formatSerial } from '../../../src/domain/identifiers.ts';
import { AppError } from '../../../src/errors.ts';
import { openssl, skipWithoutOpenssl, withTempDir } from '../crypto/openssl-cli.ts';

const BASE_URL = 'https://zwfw.jtt.ln.gov.cn';
const SEAL_SUBJECT: CertificateSubject = {
  country: 'CN',
  province: '辽宁省',
  organization: '辽宁省交通运输厅',
  commonName: '辽宁省道路运输电子证照专用章',
};

/** A valid USCC around a made-up organization code (the check characters are computed). */
function uscc(prefix8: string, org8: string): string {
  const org = org8 + computeOrganizationCodeCheckChar(org8);
  const body = prefix8 + org;
  return body + computeUsccCheckChar(body);
}

const IDENTIFIER = formatIdentifier({
  typeCode: '11100000000019713D013',
  issuerCode: uscc('91210102', 'MA0XXXXX'),
  serial: formatSerial(2025, 42),
  version: 1,
});
const SIGNED_DATA = Buffer.from(
  '{"identifier":"…","type":"roadcert.certificate/v1","holder":{"name":"张三"}}',
  'utf8',
);
const ISSUED_AT = new Date('2025-06-01T08:30:00Z');

// jsqr is a CommonJS bundle whose typings declare an ES default export: under NodeNext
// the default import is `module.exports`, and the function is also its `.default`.
const jsQR = jsQRModule.default;

function unpackedPng(png: Buffer): { data: Uint8ClampedArray; width: number; height: number } {
  const image = PNG.sync.read(png);
  return { data: new Uint8ClampedArray(image.data), width: image.width, height: image.height };
}

function readQr(png: Buffer): string | undefined {
  const { data, width, height } = unpackedPng(png);
  return jsQR(data, width, height)?.data;
}

/** A signer that claims the seal's key but signs with another: the forger's position. */
function impostor(claimed: Signer, actual: Signer): Signer {
  return {
    keyId: claimed.keyId,
    algorithm: 'SM2-SM3',
    publicKey: claimed.publicKey,
    sign: (d) => actual.sign(d),
  };
}

describe('QR verification payload', () => {
  const rootSigner = SoftwareSigner.generate('root-1').signer;
  const sealSigner = SoftwareSigner.generate('seal-2025').signer;
  const retiredSigner = SoftwareSigner.generate('seal-2023').signer;
  const outsiderSigner = SoftwareSigner.generate('seal-other').signer;
  let seal: ParsedCertificate;
  let retiredSeal: ParsedCertificate;
  let outsiderSeal: ParsedCertificate;
  let trust: QrTrust;
  let encoded: EncodedQrPayload;

  before(async () => {
    const root = await createRootCertificate({
      signer: rootSigner,
      subject: { ...SEAL_SUBJECT, commonName: '辽宁省道路运输电子证照根证书' },
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2055-01-01T00:00:00Z'),
    });
    const sealFor = (subjectPublicKey: Buffer, from: string, to: string) =>
      createSealCertificate({
        issuerSigner: rootSigner,
        issuerCertificate: root,
        subjectPublicKey,
        subject: SEAL_SUBJECT,
        notBefore: new Date(from),
        notAfter: new Date(to),
      });
    seal = await sealFor(sealSigner.publicKey, '2025-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
    // Expired today: documents it sealed must still verify.
    retiredSeal = await sealFor(retiredSigner.publicKey, '2023-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
    outsiderSeal = await sealFor(outsiderSigner.publicKey, '2025-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
    // What a scanner would build from GET /api/v1/trust.
    trust = qrTrustFromTrustMaterial({
      sealKeyId: sealSigner.keyId,
      sealCertificate: seal.pem,
      retiredSealCertificates: [
        { keyId: retiredSigner.keyId, certificate: retiredSeal.pem, retiredAt: '2025-01-01T00:00:00Z' },
      ],
    });
    encoded = await encodeQrPayload(
      {
        identifier: IDENTIFIER,
        signedDataDigest: sm3Hex(SIGNED_DATA),
        issuedAt: ISSUED_AT,
        sealKeyId: sealSigner.keyId,
        sealCertificate: seal.pem,
      },
      sealSigner,
      { baseUrl: BASE_URL },
    );
  });

  test('round trip: decode and verify give back what was sealed', () => {
    assert.match(encoded.text, /^https:\/\/zwfw\.jtt\.ln\.gov\.cn\/v#[1-9][0-9]+$/);
    assert.equal(encoded.length, encoded.bytes.length);
    const decoded = decodeQrPayload(encoded.text);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.payload.bytes, encoded.bytes);
    assert.equal(decoded.payload.identifier, IDENTIFIER);

    const result = verifyQrPayload(encoded.text, trust);
    assert.deepEqual(result, {
      ok: true,
      identifier: IDENTIFIER,
      version: 1,
      digest: sm3Hex(SIGNED_DATA),
      issuedAt: ISSUED_AT,
      sealKeyId: 'seal-2025',
      baseUrl: BASE_URL,
    });
    assert.ok(matchesDocument(result, SIGNED_DATA));
    assert.ok(!matchesDocument(result, Buffer.concat([SIGNED_DATA, Buffer.from(' ')])));
  });

  test('other identifier shapes pack too (real identifiers from REFERENCE §4)', async () => {
    for (const identifier of [
      '1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0',
      '1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9',
      // Version 999 and a leading-zero body: the packed value must keep every character.
      formatIdentifier({
        typeCode: '000000000000000000000',
        issuerCode: uscc('91210102', 'MA0XXXXX'),
        serial: '0',
        version: 999,
      }),
    ]) {
      const { text } = await encodeQrPayload(
        {
          identifier,
          signedDataDigest: sm3Hex(SIGNED_DATA),
          issuedAt: ISSUED_AT,
          sealKeyId: 'seal-2025',
          sealCertificate: seal.pem,
        },
        sealSigner,
        { baseUrl: `${BASE_URL}/` },
      );
      const result = verifyQrPayload(text, trust);
      assert.ok(result.ok, identifier);
      assert.equal(result.identifier, identifier);
    }
  });

  test('the PNG decodes (jsQR) to exactly the text, which verifies; report sizes', async () => {
    const png = await qrPng(encoded.text, { sizePx: 600, margin: 4, errorCorrection: 'M' });
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync(join('test-artifacts', 'qr.png'), png);
    const text = readQr(png);
    assert.equal(text, encoded.text);
    assert.ok(verifyQrPayload(text, trust).ok);

    // The SVG, rasterized independently, reads back the same.
    const svg = await qrSvg(encoded.text);
    const raster = new Resvg(svg, { fitTo: { mode: 'width', value: 600 } }).render().asPng();
    assert.equal(readQr(raster), encoded.text);

    const info = qrSymbolInfo(encoded.text, 'M');
    const printMm = qrPrintSizeMm(encoded.text);
    console.log(
      `QR payload: ${encoded.length} bytes, text ${encoded.text.length} characters; ` +
        `QR version ${info.version} (${info.modules}×${info.modules} modules) at level M; ` +
        `printed at 0.5 mm/module with a 4-module quiet zone: ${printMm} mm square`,
    );
    assert.equal(encoded.length, 148);
    assert.ok(info.version <= 10, 'stays a mid-size symbol a phone reads from paper');
    assert.ok(printMm <= 35);
  });

  test('measured: decimal digits against base64url, base45 and a 16-byte digest', () => {
    const b64 = `${BASE_URL}/v#${encoded.bytes.toString('base64url')}`;
    const b45 = base45(encoded.bytes); // alphanumeric mode; not URL-safe, so without a URL
    const short = qrTextFromBytes(
      BASE_URL,
      Buffer.concat([encoded.bytes.subarray(0, 56), encoded.bytes.subarray(72)]),
    );
    const rows = {
      decimal: qrSymbolInfo(encoded.text).version,
      base64url: qrSymbolInfo(b64).version,
      base45WithoutUrl: qrSymbolInfo(b45).version,
      digest16: qrSymbolInfo(short).version,
    };
    console.log(
      `QR versions at level M: ${JSON.stringify(rows)}; Q: ${qrSymbolInfo(encoded.text, 'Q').version}`,
    );
    assert.ok(rows.decimal < rows.base64url);
    assert.ok(rows.decimal <= rows.base45WithoutUrl);
  });

  test('changing any byte of the payload is refused', () => {
    const refusals = new Map<string, number>();
    for (let i = 0; i < encoded.bytes.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const bytes = Buffer.from(encoded.bytes);
        bytes[i] = (bytes[i] ?? 0) ^ flip;
        // A zero first byte has no decimal form of the same length: a truncated payload.
        const text = bytes[0] === 0 ? encoded.text.slice(0, -1) : qrTextFromBytes(BASE_URL, bytes);
        const result = verifyQrPayload(text, trust);
        assert.ok(!result.ok, `byte ${i} ^ ${flip} accepted`);
        refusals.set(result.reason, (refusals.get(result.reason) ?? 0) + 1);
      }
    }
    // Each kind of damage is caught by the check meant for it.
    assert.deepEqual([...refusals.keys()].sort(), ['MALFORMED', 'SIGNATURE_INVALID', 'UNKNOWN_SEAL']);
  });

  test('a seal not in the trust list is UNKNOWN_SEAL', async () => {
    const other = await encodeQrPayload(
      {
        identifier: IDENTIFIER,
        signedDataDigest: sm3Hex(SIGNED_DATA),
        issuedAt: ISSUED_AT,
        sealKeyId: 'seal-other',
        sealCertificate: outsiderSeal.pem,
      },
      outsiderSigner,
      { baseUrl: BASE_URL },
    );
    const result = verifyQrPayload(other.text, trust);
    assert.equal(result.ok ? 'ok' : result.reason, 'UNKNOWN_SEAL');
    assert.equal(verifyQrPayload(encoded.text, { sealCertificates: [] }).ok, false);
    // A broken trust entry is skipped, not thrown.
    const broken = verifyQrPayload(encoded.text, { sealCertificates: [{ keyId: 'x', pem: 'not a pem' }] });
    assert.equal(broken.ok ? 'ok' : broken.reason, 'UNKNOWN_SEAL');
  });

  test('a retired (now expired) seal still verifies what it sealed in its time', async () => {
    const old = await encodeQrPayload(
      {
        identifier: IDENTIFIER,
        signedDataDigest: sm3Hex(SIGNED_DATA),
        issuedAt: new Date('2024-06-01T00:00:00Z'),
        sealKeyId: 'seal-2023',
        sealCertificate: retiredSeal.pem,
      },
      retiredSigner,
      { baseUrl: BASE_URL },
    );
    const result = verifyQrPayload(old.text, trust);
    assert.ok(result.ok);
    assert.equal(result.sealKeyId, 'seal-2023');
    // A stricter caller asking for validity now is refused.
    const now = verifyQrPayload(old.text, { ...trust, at: new Date('2026-01-01T00:00:00Z') });
    assert.equal(now.ok ? 'ok' : now.reason, 'SEAL_OUTSIDE_VALIDITY');
  });

  test('signed by a key other than the seal’s is SIGNATURE_INVALID', async () => {
    const forged = await encodeQrPayload(
      {
        identifier: IDENTIFIER,
        signedDataDigest: sm3Hex(SIGNED_DATA),
        issuedAt: ISSUED_AT,
        sealKeyId: 'seal-2025',
        sealCertificate: seal.pem,
      },
      impostor(sealSigner, outsiderSigner),
      { baseUrl: BASE_URL },
    );
    const result = verifyQrPayload(forged.text, trust);
    assert.equal(result.ok ? 'ok' : result.reason, 'SIGNATURE_INVALID');
    assert.ok(!result.ok && /签名/.test(result.message));
  });

  test('encoding refuses what would not verify', async () => {
    const input = {
      identifier: IDENTIFIER,
      signedDataDigest: sm3Hex(SIGNED_DATA),
      issuedAt: ISSUED_AT,
      sealKeyId: 'seal-2025',
      sealCertificate: seal.pem,
    };
    const refuses = (p: Promise<unknown>) => assert.rejects(p, (e: unknown) => e instanceof AppError);
    await refuses(encodeQrPayload(input, outsiderSigner, { baseUrl: BASE_URL }));
    await refuses(encodeQrPayload({ ...input, sealKeyId: 'seal-other' }, sealSigner, { baseUrl: BASE_URL }));
    await refuses(
      encodeQrPayload({ ...input, issuedAt: new Date('2031-01-01T00:00:00Z') }, sealSigner, {
        baseUrl: BASE_URL,
      }),
    );
    await refuses(
      encodeQrPayload({ ...input, identifier: `${IDENTIFIER.slice(0, -1)}Z` }, sealSigner, {
        baseUrl: BASE_URL,
      }),
    );
    await refuses(encodeQrPayload({ ...input, signedDataDigest: 'abc' }, sealSigner, { baseUrl: BASE_URL }));
    await refuses(encodeQrPayload(input, sealSigner, { baseUrl: 'http://zwfw.jtt.ln.gov.cn' }));
    await refuses(encodeQrPayload(input, sealSigner, { baseUrl: `${BASE_URL}/?q=1` }));
  });

  test('garbage is MALFORMED, never an exception', () => {
    const expectMalformed = (text: unknown) => {
      const result = verifyQrPayload(text, trust);
      assert.equal(result.ok ? 'ok' : result.reason, 'MALFORMED');
    };
    fc.assert(fc.property(fc.string(), expectMalformed), { numRuns: 500 });
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1n << 1300n }), (n) => expectMalformed(`${BASE_URL}/v#${n}`)),
      { numRuns: 300 },
    );
    // Right length and version byte, random content.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: encoded.length - 1, maxLength: encoded.length - 1 }), (rest) => {
        const result = verifyQrPayload(
          qrTextFromBytes(BASE_URL, Buffer.concat([Buffer.from([1]), rest])),
          trust,
        );
        assert.ok(!result.ok);
      }),
      { numRuns: 300 },
    );
    for (const junk of [
      undefined,
      null,
      42,
      {},
      '',
      `${BASE_URL}/v#`,
      `${BASE_URL}/v#0${encoded.text.split('#')[1]}`,
      `${encoded.text} `,
      '9'.repeat(5000),
    ]) {
      expectMalformed(junk);
    }
  });

  test('openssl verifies the signature over the signed prefix (raw r‖s → DER)', {
    skip: skipWithoutOpenssl,
  }, async () => {
    const decoded = decodeQrPayload(encoded.text);
    assert.ok(decoded.ok);
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'pub.pem'), toPem(publicKeyToSpki(seal.publicKey65), 'PUBLIC KEY'));
      writeFileSync(join(dir, 'msg.bin'), decoded.payload.signedBytes);
      writeFileSync(join(dir, 'sig.der'), sm2SignatureFromRaw(decoded.payload.signature));
      const args = [
        'dgst',
        '-sm3',
        '-verify',
        'pub.pem',
        '-sigopt',
        'distid:1234567812345678',
        '-signature',
        'sig.der',
        'msg.bin',
      ];
      const ok = openssl(args, dir);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /Verified OK/);
      const tampered = Buffer.from(decoded.payload.signedBytes);
      tampered[5] = (tampered[5] ?? 0) ^ 1;
      writeFileSync(join(dir, 'msg.bin'), tampered);
      assert.notEqual(openssl(args, dir).status, 0);
    });
  });
});

/** RFC 9285 base45, only to measure the alternative. */
function base45(bytes: Uint8Array): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = (bytes[i] ?? 0) * 256 + (bytes[i + 1] ?? 0);
      for (let k = 0; k < 3; k++) {
        out += alphabet[n % 45];
        n = Math.floor(n / 45);
      }
    } else {
      const n = bytes[i] ?? 0;
      out += alphabet[n % 45]! + alphabet[Math.floor(n / 45)]!;
    }
  }
  return out;
}
