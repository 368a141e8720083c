import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import fontkit from '@pdf-lib/fontkit';
import { decodePDFRawStream, PDFArray, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import { PNG } from 'pngjs';
import subsetFont from 'subset-font';
import { SoftwareSigner } from '../../../src/crypto/signer.ts';
import { publicKeyToPem } from '../../../src/crypto/sm2.ts';
import { sm3 } from '../../../src/crypto/sm3.ts';
import {
  type CertificateSubject,
  createRootCertificate,
  createSealCertificate,
  type ParsedCertificate,
} from '../../../src/crypto/x509.ts';
import { buildOfd } from '../../../src/documents/ofd/write-ofd.ts';
import { ofdChild, ofdChildren, parseXml } from '../../../src/documents/ofd/xml.ts';
import { type PdfVerdict, verifyPdf } from '../../../src/documents/pdf/verify-pdf.ts';
import {
  type BuildSignedPdfOptions,
  buildSignedPdf,
  PDF_SIGNATURE_SUBFILTER,
  type PdfPageItem,
  pt,
  textOrigin,
} from '../../../src/documents/pdf/write-pdf.ts';
import { qrPng } from '../../../src/documents/qr/qr-image.ts';
import { sealPng } from '../../../src/documents/seal/seal-image.ts';
import { createSeal, parseSesSignature } from '../../../src/documents/seal/ses.ts';
import { openssl, skipWithoutOpenssl, withTempDir } from '../crypto/openssl-cli.ts';

const SEAL_NAME = '辽宁省道路运输电子证照专用章';
const FONT_NAME = 'Noto Serif CJK SC';
const NOTO_SERIF_TTC = '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc';
const ARTIFACTS = 'test-artifacts/documents';
const SIGN_TIME = new Date('2025-06-01T08:00:00Z');
const STAMP: [number, number, number, number] = [140, 220, 42, 42];
const d = (s: string) => new Date(s);
const subject = (commonName: string): CertificateSubject => ({
  country: 'CN',
  province: '辽宁省',
  organization: '辽宁省交通运输厅',
  commonName,
});

/** One face of a TrueType/OpenType collection as a standalone font file (tables copied). */
function fontFromCollection(ttc: Buffer, index: number): Buffer {
  const at = ttc.readUInt32BE(12 + 4 * index);
  const count = ttc.readUInt16BE(at + 4);
  const header = Buffer.alloc(12 + 16 * count);
  ttc.copy(header, 0, at, at + 12);
  const parts = [header];
  let offset = header.length;
  for (let i = 0; i < count; i++) {
    const record = at + 12 + 16 * i;
    const from = ttc.readUInt32BE(record + 8);
    const length = ttc.readUInt32BE(record + 12);
    ttc.copy(header, 12 + 16 * i, record, record + 8);
    header.writeUInt32BE(offset, 12 + 16 * i + 8);
    header.writeUInt32BE(length, 12 + 16 * i + 12);
    const table = Buffer.alloc((length + 3) & ~3);
    ttc.copy(table, 0, from, from + length);
    parts.push(table);
    offset += table.length;
  }
  return Buffer.concat(parts);
}

/** Runs a poppler tool; returns stdout and stderr. */
function poppler(tool: string, args: string[], cwd: string) {
  const r = spawnSync(tool, args, { cwd, encoding: 'latin1' });
  assert.equal(r.status, 0, `${tool} failed: ${r.stderr}`);
  return { stdout: Buffer.from(r.stdout, 'latin1').toString('utf8'), stderr: r.stderr };
}

const popplerMissing = spawnSync('pdftoppm', ['-v']).status === null ? 'poppler-utils not installed' : false;

describe('PDF document: build, seal, verify', () => {
  const maker = SoftwareSigner.generate('pdf-seal-root').signer;
  const sealKey = SoftwareSigner.generate('pdf-seal-key').signer;
  let root: ParsedCertificate;
  let sealCert: ParsedCertificate;
  let seal: Buffer;
  let sealPicture: Buffer;
  let font: Uint8Array;
  let input: BuildSignedPdfOptions;
  let signed: Buffer;
  const signedData = Buffer.from(
    JSON.stringify({
      identifier: '1.2.156.3005.2.11100000000019713D071.21010219900101123X.0001',
      version: 1,
    }),
  );
  const customData = {
    证照编号: '辽交运从字210102199001011234',
    证照类型代码: '11100000000019713D071',
    'odd #name': 'a#b',
  };
  const texts = [
    '道路运输从业人员从业资格证',
    '姓名：张三',
    '从业资格证号 210102199001011234',
    '发证机关：辽宁省交通运输厅',
    '有效期至 2031年05月31日',
  ];

  const build = (overrides: Partial<BuildSignedPdfOptions> = {}) =>
    buildSignedPdf({ ...input, ...overrides });
  const verify = (bytes: Uint8Array, roots: ParsedCertificate[] = [root]) =>
    verifyPdf(bytes, { trustedRoots: roots });
  const codes = (v: PdfVerdict) => v.failures.map((f) => f.code);
  /** The signed range and the /Contents hex string of `bytes`. */
  const layout = (bytes: Buffer) => {
    const m = /\/ByteRange \[ (\d+) (\d+) (\d+) (\d+)\s*\]/.exec(bytes.toString('latin1'));
    assert.ok(m, 'ByteRange present');
    const [a, b, c, dd] = m.slice(1).map(Number) as [number, number, number, number];
    return { a, b, c, d: dd, hex: bytes.subarray(b + 1, c - 1).toString('latin1') };
  };

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
    sealPicture = sealPng({ text: SEAL_NAME, sizePx: 400 });
    seal = await createSeal({
      makerSigner: maker,
      makerCertificate: root,
      sealCertificate: sealCert,
      name: SEAL_NAME,
      picturePng: sealPicture,
      validity: { start: d('2025-01-01T00:00:00Z'), end: d('2027-01-01T00:00:00Z') },
      createdAt: d('2025-01-01T00:00:00Z'),
    });
    // The Simplified Chinese face (index 2) of the collection, subset to the page's text.
    font = await subsetFont(fontFromCollection(readFileSync(NOTO_SERIF_TTC), 2), texts.join(''), {
      targetFormat: 'sfnt',
    });
    const items: PdfPageItem[] = [
      { kind: 'rect', xMm: 10, yMm: 10, widthMm: 190, heightMm: 277, strokeMm: 0.8, stroke: '#1f3a68' },
      { kind: 'rect', xMm: 15, yMm: 15, widthMm: 180, heightMm: 18, fill: '#e8eef7' },
      { kind: 'text', text: texts[0]!, xMm: 40, yMm: 18, sizeMm: 10, color: '#1f3a68' },
      { kind: 'text', text: texts[1]!, xMm: 25, yMm: 60, sizeMm: 6 },
      { kind: 'text', text: texts[2]!, xMm: 25, yMm: 75, sizeMm: 6, font: FONT_NAME },
      { kind: 'text', text: texts[3]!, xMm: 25, yMm: 90, sizeMm: 6 },
      { kind: 'text', text: texts[4]!, xMm: 25, yMm: 105, sizeMm: 6, color: '#333333' },
      { kind: 'image', image: 'qr', xMm: 25, yMm: 220, widthMm: 35, heightMm: 35 },
    ];
    input = {
      page: { widthMm: 210, heightMm: 297, items },
      fonts: [{ name: FONT_NAME, file: font }],
      images: { qr: await qrPng('https://verify.example.cn/v#1234567890', { sizePx: 300 }) },
      title: '道路运输从业人员从业资格证',
      customData,
      attachment: {
        name: 'certificate.json',
        bytes: signedData,
        mimeType: 'application/json',
        description: '证照签名数据',
      },
      signing: {
        seal,
        signer: sealKey,
        signerCertificate: sealCert,
        time: SIGN_TIME,
        stamp: { boundaryMm: STAMP },
      },
    };
    signed = await build();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'pdf-sample.pdf'), signed);
  });

  test('a sealed PDF verifies and returns the signer, the metadata and the signed data', async () => {
    const verdict = await verify(signed);
    assert.deepEqual(verdict.failures, []);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.signer?.sealName, SEAL_NAME);
    assert.equal(verdict.signer?.serialHex, sealCert.serialHex);
    assert.equal(verdict.signer?.signedAt.toISOString(), SIGN_TIME.toISOString());
    assert.deepEqual(verdict.customData, customData);
    assert.ok(verdict.signedData?.equals(signedData));
    assert.deepEqual(verdict.attachment, {
      name: 'certificate.json',
      mimeType: 'application/json',
      description: '证照签名数据',
    });
  });

  test('the signature covers every byte but its own value, in the Chinese e-seal form', async () => {
    const { a, b, c, d: tail, hex } = layout(signed);
    assert.equal(a, 0);
    assert.equal(c + tail, signed.length, 'the signed range ends at the end of the file');
    assert.match(signed.subarray(b - 10, b + 1).toString('latin1'), /\/Contents <$/);
    assert.equal(signed.toString('latin1', c - 1, c), '>');
    const der = Buffer.from(hex, 'hex');
    const ses = parseSesSignature(der.subarray(0, 4 + der.readUInt16BE(2)));
    assert.ok(
      der.subarray(4 + der.readUInt16BE(2)).every((x) => x === 0),
      'zero padding',
    );
    assert.deepEqual(ses.dataHash, sm3(Buffer.concat([signed.subarray(0, b), signed.subarray(c)])));
    assert.equal(ses.propertyInfo, 'RoadcertSeal');
    assert.equal(ses.timeInfo.toISOString(), SIGN_TIME.toISOString());
    assert.ok(ses.seal.der.equals(seal));

    const raw = signed.toString('latin1');
    assert.match(raw, /\/Filter \/Roadcert\.GMPkiLite/);
    assert.match(raw, new RegExp(`/SubFilter /${PDF_SIGNATURE_SUBFILTER.replace('.', '\\.')}`));
    assert.match(raw, /\/M \(D:20250601080000Z\)/);
    assert.match(raw, /\/CreationDate \(D:20250601080000Z\)/);
    assert.match(raw, /\/SigFlags 3/);
    assert.match(raw, /\/FontFile3 \d+ 0 R/);
    assert.match(raw, /\/Subtype \/OpenType/);
    assert.match(raw, /\/AFRelationship \/Data/);
    assert.equal(raw.match(/\/ByteRange/g)?.length, 1);

    // Readers list the embedded file and the signature field.
    const doc = await PDFDocument.load(signed, { updateMetadata: false });
    assert.equal(doc.getPageCount(), 1);
    const { width, height } = doc.getPage(0).getSize();
    assert.deepEqual([width, height], [pt(210), pt(297)]);
    assert.equal(doc.getTitle(), input.title);
    const fields = doc.getForm().getFields();
    assert.deepEqual(
      fields.map((f) => [f.getName(), f.constructor.name]),
      [['RoadcertSeal', 'PDFSignature']],
    );
    const [widget] = fields[0]!.acroField.getWidgets();
    const rect = widget!.getRectangle();
    assert.deepEqual(
      [rect.x, rect.y, rect.width, rect.height].map((v) => Math.round(v * 100) / 100),
      [pt(140), pt(297 - 220 - 42), pt(42), pt(42)].map((v) => Math.round(v * 100) / 100),
    );
  });

  test('the font is embedded whole as OpenType, with CIDs made equal to glyph IDs', async () => {
    const doc = await PDFDocument.load(signed, { updateMetadata: false });
    const fontFiles = doc.context
      .enumerateIndirectObjects()
      .map(([, o]) => o)
      .filter(
        (o): o is PDFRawStream =>
          o instanceof PDFRawStream && o.dict.get(PDFName.of('Subtype')) === PDFName.of('OpenType'),
      );
    assert.equal(fontFiles.length, 1);
    const embedded = Buffer.from(decodePDFRawStream(fontFiles[0]!).decode());
    /** CID of each glyph ID through the CFF charset (formats 0, 1, 2 as fontkit reads them). */
    const cids = (bytes: Uint8Array) => {
      const f = fontkit.create(bytes) as unknown as {
        numGlyphs: number;
        'CFF ': {
          isCIDFont: boolean;
          topDict: {
            charset: { version: number; glyphs: number[]; ranges: { first: number; nLeft: number }[] };
          };
        };
      };
      const cff = f['CFF '];
      assert.ok(cff.isCIDFont);
      const charset = cff.topDict.charset;
      const out = [0];
      if (charset.version === 0) out.push(...charset.glyphs);
      else for (const r of charset.ranges) for (let i = 0; i <= r.nLeft; i++) out.push(r.first + i);
      return out.slice(0, f.numGlyphs);
    };
    const original = cids(font);
    assert.notDeepEqual(
      original,
      original.map((_, i) => i),
      'subset-font keeps the original CIDs',
    );
    assert.deepEqual(
      cids(embedded),
      original.map((_, i) => i),
      'embedded: CID = glyph ID',
    );
    assert.equal(embedded.length, font.length, 'only the charset bytes changed');
    const a = fontkit.create(font);
    const b = fontkit.create(embedded);
    for (const ch of texts.join('')) {
      const cp = ch.codePointAt(0)!;
      assert.equal(b.glyphForCodePoint(cp).id, a.glyphForCodePoint(cp).id, ch);
      assert.equal(b.glyphForCodePoint(cp).path.toSVG(), a.glyphForCodePoint(cp).path.toSVG(), ch);
    }
  });

  test('text sits on the same baseline as in the OFD built from the same page model', async () => {
    const files = buildOfd({
      page: input.page,
      fonts: input.fonts,
      images: input.images,
    });
    const layer = ofdChild(
      ofdChild(parseXml(files.get('Doc_0/Pages/Page_0/Content.xml')!), 'Content')!,
      'Layer',
    )!;
    const doc = await PDFDocument.load(signed, { updateMetadata: false });
    const contents = doc.getPage(0).node.Contents();
    const streams =
      contents instanceof PDFArray ? contents.asArray().map((r) => doc.context.lookup(r)) : [contents];
    const ops = streams
      .map((s) => Buffer.from(decodePDFRawStream(s as PDFRawStream).decode()).toString('latin1'))
      .join('\n');
    const textObjects = ofdChildren(layer, 'TextObject');
    assert.equal(textObjects.length, texts.length);
    for (const obj of textObjects) {
      const [bx, by] = obj.attributes.get('Boundary')!.split(' ').map(Number) as [number, number];
      const code = ofdChild(obj, 'TextCode')!;
      const baselineMm = by + Number(code.attributes.get('Y'));
      const item = input.page.items.find((i) => i.kind === 'text' && i.text === code.text) as {
        xMm: number;
        yMm: number;
        sizeMm: number;
      };
      const origin = textOrigin(item, 297);
      assert.equal(origin.x, pt(bx + Number(code.attributes.get('X'))));
      assert.equal(origin.y, pt(297 - baselineMm));
      assert.ok(ops.includes(`${origin.x} ${origin.y} Td`), `Td for ${code.text}`);
    }
  });

  test('poppler renders the page: Chinese text, the QR code and the red seal at the stamp', {
    skip: popplerMissing,
  }, async () => {
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'doc.pdf'), signed);
      const render = poppler('pdftoppm', ['-png', '-r', '100', '-singlefile', 'doc.pdf', 'page'], dir);
      assert.equal(render.stderr, '', 'no font or syntax warnings');
      const png = readFileSync(join(dir, 'page.png'));
      writeFileSync(join(ARTIFACTS, 'pdf-sample.png'), png);
      const image = PNG.sync.read(png);
      assert.equal(image.width, Math.round((210 / 25.4) * 100));
      const px = (xMm: number, yMm: number) => {
        const i = (Math.round((yMm / 25.4) * 100) * image.width + Math.round((xMm / 25.4) * 100)) * 4;
        return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
      };
      const count = (x0: number, y0: number, w: number, h: number, test: (p: number[]) => boolean) => {
        let n = 0;
        for (let y = y0; y < y0 + h; y += 0.25)
          for (let x = x0; x < x0 + w; x += 0.25) if (test(px(x, y))) n++;
        return n;
      };
      const red = (p: number[]) => p[0]! > 150 && p[1]! < 90 && p[2]! < 90;
      const dark = (p: number[]) => p[0]! < 100 && p[1]! < 100 && p[2]! < 100;
      const [sx, sy, sw, sh] = STAMP;
      assert.ok(count(sx, sy, sw, sh, red) > 1000, 'red seal pixels inside the stamp');
      assert.equal(count(0, 0, 210, 200, red), 0, 'no red outside the stamp');
      assert.ok(count(25, 60, 60, 8, dark) > 100, 'the name line is drawn');
      assert.ok(count(25, 220, 35, 35, dark) > 2000, 'the QR code is drawn');
      assert.deepEqual(
        px(100, 24),
        [0xe8, 0xee, 0xf7].map((v) => v),
        'the filled band',
      );
      assert.ok(count(0, 150, 210, 60, dark) < 50, 'the empty middle stays blank');
    });
  });

  test('pdftotext extracts the Chinese text and pdffonts sees one embedded font with Unicode', {
    skip: popplerMissing,
  }, async () => {
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'doc.pdf'), signed);
      const { stdout, stderr } = poppler('pdftotext', ['-layout', 'doc.pdf', '-'], dir);
      assert.equal(stderr, '');
      for (const t of texts) assert.ok(stdout.includes(t), `text "${t}" in ${JSON.stringify(stdout)}`);
      const fonts = poppler('pdffonts', ['doc.pdf'], dir).stdout.trim().split('\n').slice(2);
      assert.equal(fonts.length, 1, fonts.join('\n'));
      assert.match(
        fonts[0]!,
        /^[A-Z]{6}\+NotoSerifCJKsc-Regular\s+CID Type 0C \(OT\)\s+Identity-H\s+yes yes yes/,
      );
      const info = poppler('pdfinfo', ['doc.pdf'], dir).stdout;
      assert.match(info, /Title:\s+道路运输从业人员从业资格证/);
      const files = poppler('pdfdetach', ['-list', 'doc.pdf'], dir).stdout;
      assert.match(files, /1 embedded files\s+1: certificate\.json/);
    });
  });

  test('pdfsig sees the signature field and its handler', { skip: popplerMissing }, async () => {
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'doc.pdf'), signed);
      const r = spawnSync('pdfsig', ['-nocert', 'doc.pdf'], { cwd: dir, encoding: 'utf8' });
      const out = `${r.stdout}${r.stderr}`;
      assert.match(out, /Signature #1/, out);
      assert.match(out, /Signature Field Name: RoadcertSeal/, out);
      assert.match(
        out,
        new RegExp(
          `Signed Ranges: \\[0 - ${layout(signed).b}\\], \\[${layout(signed).c} - ${signed.length}\\]`,
        ),
        out,
      );
      assert.match(out, /Total document signed/, out);
    });
  });

  test('openssl, independently, agrees with the digest and the SM2 signature', {
    skip: skipWithoutOpenssl,
  }, async () => {
    await withTempDir((dir) => {
      const { b, c, hex } = layout(signed);
      writeFileSync(join(dir, 'range.bin'), Buffer.concat([signed.subarray(0, b), signed.subarray(c)]));
      const der = Buffer.from(hex, 'hex');
      const ses = parseSesSignature(der.subarray(0, 4 + der.readUInt16BE(2)));
      const digest = openssl(['dgst', '-sm3', '-binary', 'range.bin'], dir);
      const dgst = spawnSync('openssl', ['dgst', '-sm3', '-binary', 'range.bin'], { cwd: dir });
      assert.equal(digest.status, 0, digest.stderr);
      assert.equal(dgst.stdout.toString('hex'), ses.dataHash.toString('hex'));
      writeFileSync(join(dir, 'tbs.der'), ses.tbsDer);
      writeFileSync(join(dir, 'tbs.sig'), ses.signature);
      writeFileSync(join(dir, 'signer.pem'), publicKeyToPem(sealCert.publicKey65));
      const ok = openssl(
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          'signer.pem',
          '-rawin',
          '-digest',
          'sm3',
          '-pkeyopt',
          'distid:1234567812345678',
          '-in',
          'tbs.der',
          '-sigfile',
          'tbs.sig',
        ],
        dir,
      );
      assert.match(ok.stdout, /Signature Verified Successfully/, ok.stderr);
      // The same check fails for one changed byte of TBS_Sign.
      const bad = Buffer.from(ses.tbsDer);
      bad[bad.length - 1]! ^= 1;
      writeFileSync(join(dir, 'tbs.der'), bad);
      assert.notEqual(
        openssl(
          [
            'pkeyutl',
            '-verify',
            '-pubin',
            '-inkey',
            'signer.pem',
            '-rawin',
            '-digest',
            'sm3',
            '-pkeyopt',
            'distid:1234567812345678',
            '-in',
            'tbs.der',
            '-sigfile',
            'tbs.sig',
          ],
          dir,
        ).status,
        0,
      );
    });
  });

  test('any changed or appended byte is refused with a code that says what happened', async () => {
    const { b } = layout(signed);
    const raw = signed.toString('latin1');
    const flip = (at: number, mask = 0x01) => {
      const copy = Buffer.from(signed);
      copy[at]! ^= mask;
      return copy;
    };
    const refused = async (bytes: Buffer, expected: string, what: string) => {
      const verdict = await verify(bytes);
      assert.equal(verdict.ok, false, `${what} accepted`);
      assert.deepEqual(codes(verdict), [expected], `${what}: ${JSON.stringify(verdict.failures)}`);
      assert.match(verdict.failures[0]!.message, /[\u4e00-\u9fff]/, 'Chinese message');
      assert.equal(verdict.customData, undefined);
      assert.equal(verdict.signedData, undefined);
      assert.equal(verdict.attachment, undefined);
    };

    // Page content: a byte inside the page's content stream, and inside the QR picture.
    const contentsRef = /\/Contents \[ (\d+) 0 R \]/.exec(raw)?.[1];
    assert.ok(contentsRef);
    const pageStream = raw.indexOf('stream', raw.indexOf(`\n${contentsRef} 0 obj`));
    await refused(flip(pageStream + 20), 'DOCUMENT_CHANGED', 'page content');
    const qrStream = raw.indexOf('stream', raw.indexOf('/Subtype /Image'));
    await refused(flip(qrStream + 100), 'DOCUMENT_CHANGED', 'QR picture');
    // The embedded file's stream.
    const ef = raw.indexOf('stream', raw.indexOf('/Type /EmbeddedFile'));
    await refused(flip(ef + 12), 'DOCUMENT_CHANGED', 'embedded signed data');
    // The metadata (a custom data value, hex text).
    const info = raw.indexOf('/Title <');
    await refused(flip(info + 12, 0x02), 'DOCUMENT_CHANGED', 'title');
    // The first and last byte of the file.
    await refused(flip(0, 0x20), 'PDF_MALFORMED', 'header');
    await refused(flip(signed.length - 2, 0x01), 'DOCUMENT_CHANGED', 'last byte');
    // The ByteRange numbers.
    const range = raw.indexOf('/ByteRange [ 0 ') + '/ByteRange [ 0 '.length;
    await refused(flip(range, 0x01), 'BYTE_RANGE_INVALID', 'ByteRange digit');
    // A byte inside /Contents: the SES structure, its signature and its zero padding.
    await refused(flip(b + 1 + 8, 0x01), 'MALFORMED', 'SES structure');
    // The DER ends inside the hex string; 5 bytes before its end lie in the SM2 signature's s.
    const derHexEnd = (bytes: Buffer) => {
      const { b: at } = layout(bytes);
      return at + 1 + 2 * (4 + Buffer.from(bytes.toString('latin1', at + 1, at + 9), 'hex').readUInt16BE(2));
    };
    const sigAt = derHexEnd(signed) - 10;
    const sigFlipped = Buffer.from(signed);
    sigFlipped.write(signed.toString('latin1', sigAt, sigAt + 1) === 'A' ? 'B' : 'A', sigAt, 'latin1');
    await refused(sigFlipped, 'SIGNATURE_INVALID', 'signature value');
    // A 72-byte SM2 signature fills the placeholder exactly (no padding); take a build with padding.
    let withPadding = signed;
    for (let i = 0; i < 20 && derHexEnd(withPadding) === layout(withPadding).c - 1; i++)
      withPadding = await build();
    assert.ok(derHexEnd(withPadding) < layout(withPadding).c - 1, 'a build with zero padding');
    const padded = Buffer.from(withPadding);
    padded.write('1', layout(withPadding).c - 3, 'latin1');
    await refused(padded, 'MALFORMED', 'padding');
    const notHex = Buffer.from(signed);
    notHex.write('g', b + 5, 'latin1');
    await refused(notHex, 'BYTE_RANGE_INVALID', 'non-hex in /Contents');
    // Appended bytes: junk, and a whole incremental update.
    await refused(Buffer.concat([signed, Buffer.from('\n')]), 'UNSIGNED_CONTENT', 'one appended byte');
    const update = Buffer.from(
      `1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 2 /Prev 0 >>\nstartxref\n${signed.length}\n%%EOF\n`,
    );
    await refused(Buffer.concat([signed, update]), 'UNSIGNED_CONTENT', 'incremental update');
    // Truncation.
    await refused(signed.subarray(0, signed.length - 7), 'BYTE_RANGE_INVALID', 'truncated');
  });

  test('a forged seal, a second signature and hostile input are refused without throwing', async () => {
    const otherMaker = SoftwareSigner.generate('pdf-other-root').signer;
    const otherKey = SoftwareSigner.generate('pdf-other-seal').signer;
    const otherRoot = await createRootCertificate({
      signer: otherMaker,
      subject: subject('伪造的印章根证书'),
      notBefore: d('2025-01-01T00:00:00Z'),
      notAfter: d('2045-01-01T00:00:00Z'),
    });
    const otherCert = await createSealCertificate({
      issuerSigner: otherMaker,
      issuerCertificate: otherRoot,
      subjectPublicKey: otherKey.publicKey,
      subject: subject(SEAL_NAME),
      notBefore: d('2025-01-01T00:00:00Z'),
      notAfter: d('2028-01-01T00:00:00Z'),
    });
    const otherSeal = await createSeal({
      makerSigner: otherMaker,
      makerCertificate: otherRoot,
      sealCertificate: otherCert,
      name: SEAL_NAME,
      picturePng: sealPicture,
      validity: { start: d('2025-01-01T00:00:00Z'), end: d('2027-01-01T00:00:00Z') },
      createdAt: d('2025-01-01T00:00:00Z'),
    });
    const forged = await build({
      signing: { ...input.signing, seal: otherSeal, signer: otherKey, signerCertificate: otherCert },
    });
    const verdict = await verify(forged);
    assert.deepEqual(codes(verdict), ['CERTIFICATE_NOT_TRUSTED']);
    assert.equal(verdict.signer, undefined);
    assert.ok((await verify(forged, [otherRoot])).ok, 'verifies against its own root');

    const twice = Buffer.concat([
      signed.subarray(0, 100),
      Buffer.from('/ByteRange [0 1 2 3]'),
      signed.subarray(100),
    ]);
    assert.deepEqual(codes(await verify(twice)), ['SIGNATURE_COUNT_UNSUPPORTED']);
    const unsigned = Buffer.from(signed.toString('latin1').replace('/ByteRange', '/ByteRangX'), 'latin1');
    assert.deepEqual(codes(await verify(unsigned)), ['NOT_SIGNED']);
    for (const junk of [
      Buffer.alloc(0),
      Buffer.from('%PDF-1.7\n'),
      Buffer.from('not a pdf'),
      undefined,
      'x',
    ]) {
      const v = await verifyPdf(junk as Uint8Array, { trustedRoots: [root] });
      assert.equal(v.ok, false);
      assert.ok(['PDF_MALFORMED', 'NOT_SIGNED'].includes(v.failures[0]!.code), JSON.stringify(v));
    }
    const small = await verifyPdf(signed, { trustedRoots: [root], maxBytes: 1000 });
    assert.deepEqual(codes(small), ['PDF_MALFORMED']);
    assert.match(small.failures[0]!.message, /超过上限/);
    const noRoots = await verifyPdf(signed, { trustedRoots: [] });
    assert.deepEqual(codes(noRoots), ['CERTIFICATE_NOT_TRUSTED']);
  });

  test('two builds of the same input differ only in the signature value', async () => {
    const again = await build({
      ...structuredClone({ ...input, signing: undefined }),
      signing: input.signing,
    } as never);
    assert.equal(again.length, signed.length);
    const first = layout(signed);
    const second = layout(again);
    assert.deepEqual([second.a, second.b, second.c, second.d], [first.a, first.b, first.c, first.d]);
    assert.ok(again.subarray(0, first.b).equals(signed.subarray(0, first.b)));
    assert.ok(again.subarray(first.c).equals(signed.subarray(first.c)));
    // The SES structures differ only in the SM2 signature (fresh k).
    const ses = (hex: string) => {
      const der = Buffer.from(hex, 'hex');
      return parseSesSignature(der.subarray(0, 4 + der.readUInt16BE(2)));
    };
    assert.ok(ses(first.hex).tbsDer.equals(ses(second.hex).tbsDer));
    assert.ok((await verify(again)).ok);
    // The file ID is derived from the content: another title gives another ID.
    const id = (bytes: Buffer) => /\/ID \[ <([0-9A-F]{32})>/.exec(bytes.toString('latin1'))?.[1];
    assert.equal(id(again), id(signed));
    assert.notEqual(id(await build({ title: '另一个标题' })), id(signed));
  });

  test('a TrueType font is embedded as CIDFontType2 and its text extracts', {
    skip: popplerMissing,
  }, async () => {
    const latin = 'Road Transport Certificate 2025';
    const ttf = await subsetFont(readFileSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'), latin, {
      targetFormat: 'sfnt',
    });
    const bytes = await build({
      page: {
        widthMm: 210,
        heightMm: 297,
        items: [{ kind: 'text', text: latin, xMm: 20, yMm: 20, sizeMm: 6 }],
      },
      fonts: [{ name: 'DejaVu Sans', file: ttf }],
    });
    assert.ok((await verify(bytes)).ok);
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'doc.pdf'), bytes);
      const fonts = poppler('pdffonts', ['doc.pdf'], dir).stdout.trim().split('\n').slice(2);
      assert.match(fonts[0]!, /^[A-Z]{6}\+DejaVuSans\s+CID TrueType\s+Identity-H\s+yes yes yes/);
      const { stdout, stderr } = poppler('pdftotext', ['doc.pdf', '-'], dir);
      assert.equal(stderr, '');
      assert.ok(stdout.includes(latin), stdout);
      assert.equal(poppler('pdftoppm', ['-png', '-r', '30', 'doc.pdf', 'p'], dir).stderr, '');
    });
  });

  test('drawSeal: false leaves the seal picture to the page model', async () => {
    const plain = await build({
      signing: { ...input.signing, stamp: { boundaryMm: STAMP, drawSeal: false } },
    });
    const images = (bytes: Buffer) => bytes.toString('latin1').match(/\/Subtype \/Image/g)?.length ?? 0;
    assert.ok(images(signed) > images(plain), 'the seal picture is not embedded');
    const verdict = await verify(plain);
    assert.ok(verdict.ok, JSON.stringify(verdict.failures));
  });

  test('bad input is refused with a clear error before anything is signed', async () => {
    await assert.rejects(
      build({ page: { ...input.page, items: [{ kind: 'text', text: '龘', xMm: 10, yMm: 10, sizeMm: 5 }] } }),
      /字符「龘」（U\+9F98）在字体 Noto Serif CJK SC 中没有字形/,
    );
    await assert.rejects(
      build({ fonts: [{ name: FONT_NAME, file: readFileSync(NOTO_SERIF_TTC).subarray(0, 4096) }] }),
      /字体集（TTC）/,
    );
    await assert.rejects(build({ customData: { Title: 'x' } }), /自定义数据名称 Title 不可用/);
    await assert.rejects(
      build({
        page: {
          ...input.page,
          items: [{ kind: 'rect', xMm: 1, yMm: 1, widthMm: 5, heightMm: 5, fill: 'red' }],
        },
      }),
      /填充颜色应为 #rrggbb/,
    );
    await assert.rejects(build({ images: {} }), /未提供图片 qr/);
    await assert.rejects(
      build({ signing: { ...input.signing, time: d('2030-01-01T00:00:00Z') } }),
      /签章时间不在印章有效期内/,
    );
  });
});
