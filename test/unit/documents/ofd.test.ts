import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { SoftwareSigner } from '../../../src/crypto/signer.ts';
import { publicKeyToPem } from '../../../src/crypto/sm2.ts';
import { sm3 } from '../../../src/crypto/sm3.ts';
import {
  type CertificateSubject,
  createRootCertificate,
  createSealCertificate,
  type ParsedCertificate,
} from '../../../src/crypto/x509.ts';
import { packOfd, unpackOfd } from '../../../src/documents/ofd/package.ts';
import { signOfd } from '../../../src/documents/ofd/sign-ofd.ts';
import { verifyOfd } from '../../../src/documents/ofd/verify-ofd.ts';
import { type BuildOfdOptions, buildOfd, mm } from '../../../src/documents/ofd/write-ofd.ts';
import { OFD_NS, ofdChild, ofdChildren, parseXml, type XmlElement } from '../../../src/documents/ofd/xml.ts';
import { resolveSealFontFile, sealPng } from '../../../src/documents/seal/seal-image.ts';
import { createSeal, parseSesSignature } from '../../../src/documents/seal/ses.ts';
import { openssl, skipWithoutOpenssl, withTempDir } from '../crypto/openssl-cli.ts';

const SEAL_NAME = '辽宁省道路运输电子证照专用章';
const subject = (commonName: string): CertificateSubject => ({
  country: 'CN',
  province: '辽宁省',
  organization: '辽宁省交通运输厅',
  commonName,
});
const d = (s: string) => new Date(s);
const SIGN_TIME = d('2025-06-01T08:00:00Z');
const FONT_NAME = 'Noto Serif CJK SC';
const SIG_DIR = 'Doc_0/Signs/Sign_0';

const str = (b: Uint8Array | undefined) => Buffer.from(b!).toString('utf8');

describe('OFD package: build, seal, verify', () => {
  const maker = SoftwareSigner.generate('ofd-seal-root').signer;
  const sealKey = SoftwareSigner.generate('ofd-seal-key').signer;
  let root: ParsedCertificate;
  let sealCert: ParsedCertificate;
  let seal: Buffer;
  let sealPicture: Buffer;
  let font: Buffer;
  let input: BuildOfdOptions;
  let signed: Buffer;

  const sign = (files: Map<string, Buffer>, overrides: Partial<Parameters<typeof signOfd>[1]> = {}) =>
    signOfd(files, {
      seal,
      signer: sealKey,
      signerCertificate: sealCert,
      time: SIGN_TIME,
      stamp: { pageIndex: 0, boundaryMm: [200, 120, 42, 42] },
      ...overrides,
    });
  const verify = (bytes: Uint8Array, roots: ParsedCertificate[] = [root]) =>
    verifyOfd(bytes, { trustedRoots: roots });
  /** Re-zips the signed package after `edit` changed its files. */
  const tampered = (edit: (files: Map<string, Uint8Array>) => void) => {
    const files = unpackOfd(signed);
    edit(files);
    return packOfd(files);
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
    sealPicture = sealPng({ text: SEAL_NAME, sizePx: 200 });
    seal = await createSeal({
      makerSigner: maker,
      makerCertificate: root,
      sealCertificate: sealCert,
      name: SEAL_NAME,
      picturePng: sealPicture,
      validity: { start: d('2025-01-01T00:00:00Z'), end: d('2027-01-01T00:00:00Z') },
      createdAt: d('2025-01-01T00:00:00Z'),
    });
    // No single-face CJK font is installed here: the Noto Serif CJK collection is embedded.
    font = readFileSync(resolveSealFontFile());
    input = {
      page: {
        widthMm: 297,
        heightMm: 210,
        items: [
          { kind: 'text', text: '道路运输从业人员从业资格证', xMm: 80, yMm: 20, sizeMm: 10 },
          { kind: 'text', text: '姓名：张三 & <测试>', xMm: 30, yMm: 60, sizeMm: 5 },
          { kind: 'text', text: '证号 210102199001011234', xMm: 30, yMm: 75, sizeMm: 5, font: FONT_NAME },
          { kind: 'image', image: 'seal', xMm: 200, yMm: 120, widthMm: 42, heightMm: 42 },
        ],
      },
      fonts: [{ name: FONT_NAME, file: font }],
      customData: { 证照编号: '辽交运从字210102199001011234', 证照类型代码: '11100000000019713D071' },
      images: { seal: sealPicture },
      docInfo: {
        docId: 'a1b2c3',
        title: '道路运输从业人员从业资格证',
        creationDate: d('2025-06-01T00:00:00Z'),
      },
    };
    signed = await sign(buildOfd(input));
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync('test-artifacts/certificate.ofd', signed);
  });

  test('the unsigned package follows REFERENCE §6 and the XML is what a reader expects', () => {
    const files = buildOfd(input);
    assert.deepEqual(
      [...files.keys()],
      [
        'OFD.xml',
        'Doc_0/Document.xml',
        'Doc_0/DocumentRes.xml',
        'Doc_0/Pages/Page_0/Content.xml',
        'Doc_0/PublicRes.xml',
        'Doc_0/Res/font_3.ttc',
        'Doc_0/Res/image_4.png',
      ],
    );
    const xml = (path: string, local: string): XmlElement => {
      const raw = str(files.get(path));
      assert.ok(raw.startsWith('<?xml version="1.0" encoding="UTF-8"?>'), path);
      assert.ok(raw.includes(`xmlns:ofd="${OFD_NS}"`), path);
      const root = parseXml(files.get(path)!);
      assert.equal(root.ns, OFD_NS, path);
      assert.equal(root.name, `ofd:${local}`, path);
      return root;
    };
    const only = (parent: XmlElement | undefined, local: string) => {
      const found = parent && ofdChild(parent, local);
      assert.ok(found, `missing ${local}`);
      return found;
    };

    const ofd = xml('OFD.xml', 'OFD');
    assert.equal(ofd.attributes.get('DocType'), 'OFD');
    assert.equal(ofd.attributes.get('Version'), '1.0');
    const body = only(ofd, 'DocBody');
    assert.equal(only(body, 'DocRoot').text, 'Doc_0/Document.xml');
    const info = only(body, 'DocInfo');
    assert.equal(only(info, 'DocID').text, 'a1b2c3');
    assert.equal(only(info, 'CreationDate').text, '2025-06-01');
    assert.deepEqual(
      ofdChildren(only(info, 'CustomDatas'), 'CustomData').map((c) => [c.attributes.get('Name'), c.text]),
      Object.entries(input.customData!).sort(),
    );

    const doc = xml('Doc_0/Document.xml', 'Document');
    const common = only(doc, 'CommonData');
    assert.deepEqual(
      common.children.map((c) => c.local),
      ['MaxUnitID', 'PageArea', 'PublicRes', 'DocumentRes'],
    );
    assert.equal(only(only(common, 'PageArea'), 'PhysicalBox').text, '0 0 297 210');
    const page = only(only(doc, 'Pages'), 'Page');
    assert.equal(page.attributes.get('BaseLoc'), 'Pages/Page_0/Content.xml');

    const fontEl = only(only(xml('Doc_0/PublicRes.xml', 'Res'), 'Fonts'), 'Font');
    assert.equal(fontEl.attributes.get('FontName'), FONT_NAME);
    assert.equal(only(fontEl, 'FontFile').text, 'font_3.ttc');
    assert.ok(files.get('Doc_0/Res/font_3.ttc')!.equals(font));
    const media = only(only(xml('Doc_0/DocumentRes.xml', 'Res'), 'MultiMedias'), 'MultiMedia');
    assert.deepEqual(Object.fromEntries(media.attributes), { ID: '4', Type: 'Image', Format: 'PNG' });
    assert.equal(only(media, 'MediaFile').text, 'image_4.png');
    assert.ok(files.get('Doc_0/Res/image_4.png')!.equals(sealPicture));

    const layer = only(only(xml('Doc_0/Pages/Page_0/Content.xml', 'Page'), 'Content'), 'Layer');
    const [title, name, number, image] = layer.children;
    assert.deepEqual(
      layer.children.map((c) => c.local),
      ['TextObject', 'TextObject', 'TextObject', 'ImageObject'],
    );
    assert.deepEqual(Object.fromEntries(title!.attributes), {
      ID: '5',
      Boundary: '80 20 130 12.5',
      Font: fontEl.attributes.get('ID'),
      Size: '10',
    });
    const code = only(title, 'TextCode');
    assert.deepEqual(Object.fromEntries(code.attributes), { X: '0', Y: '8.8' });
    assert.equal(code.text, '道路运输从业人员从业资格证');
    assert.equal(only(name, 'TextCode').text, '姓名：张三 & <测试>', 'escaped and read back');
    assert.equal(number!.attributes.get('Font'), fontEl.attributes.get('ID'));
    assert.equal(image!.attributes.get('ResourceID'), media.attributes.get('ID'));
    assert.equal(image!.attributes.get('CTM'), '42 0 0 42 0 0');

    // MaxUnitID is the largest ID in the document.
    const ids: number[] = [];
    const walk = (e: XmlElement) => {
      if (e.attributes.has('ID')) ids.push(Number(e.attributes.get('ID')));
      e.children.forEach(walk);
    };
    for (const p of files.keys()) if (p.endsWith('.xml')) walk(parseXml(files.get(p)!));
    assert.equal(only(common, 'MaxUnitID').text, String(Math.max(...ids)));
    assert.equal(new Set(ids).size, ids.length, 'IDs are unique');
  });

  test('the build is deterministic; signing twice differs only in the SM2 signature', async () => {
    const a = buildOfd(input);
    const b = buildOfd(structuredClone(input));
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [path, bytes] of a) assert.ok(bytes.equals(b.get(path)!), path);
    assert.ok(packOfd(a).equals(packOfd(b)), 'ZIP bytes identical');

    const again = unpackOfd(await sign(b));
    const first = unpackOfd(signed);
    assert.deepEqual([...again.keys()], [...first.keys()]);
    for (const [path, bytes] of first) {
      // SM2 signatures are randomised (fresh k), so SignedValue.dat alone may differ.
      if (path !== `${SIG_DIR}/SignedValue.dat`) assert.ok(Buffer.from(bytes).equals(again.get(path)!), path);
    }
  });

  test('coloured text, rectangles and attachments are written as GB/T 33190 objects and sealed', async () => {
    const json = Buffer.from('{"certificateNumber":"辽交运从字210102199001011234"}', 'utf8');
    const extended: BuildOfdOptions = {
      ...input,
      page: {
        ...input.page,
        items: [
          ...input.page.items,
          { kind: 'text', text: '红字', xMm: 10, yMm: 10, sizeMm: 4, color: '#C81E1e' },
          { kind: 'rect', xMm: 20, yMm: 30, widthMm: 40, heightMm: 50 },
          { kind: 'rect', xMm: 0, yMm: 0, widthMm: 10, heightMm: 5, fill: '#00ff80' },
          {
            kind: 'rect',
            xMm: 5,
            yMm: 6,
            widthMm: 7,
            heightMm: 8,
            strokeMm: 1,
            stroke: '#0000ff',
            fill: '#ffffff',
          },
        ],
      },
      attachments: [{ name: 'certificate.json', file: json, creationDate: d('2025-06-01T08:00:00.123Z') }],
    };
    const files = buildOfd(extended);
    assert.ok(packOfd(files).equals(packOfd(buildOfd(structuredClone(extended)))), 'deterministic');
    const layer = ofdChild(
      ofdChild(parseXml(files.get('Doc_0/Pages/Page_0/Content.xml')!), 'Content')!,
      'Layer',
    )!;
    const [red, frame, bar, both] = layer.children.slice(4);
    assert.deepEqual(
      red!.children.map((c) => [c.local, c.attributes.get('Value')]),
      [
        ['FillColor', '200 30 30'],
        ['TextCode', undefined],
      ],
    );
    // Uncoloured text carries no colour element (black by default).
    assert.equal(ofdChild(layer.children[0]!, 'FillColor'), undefined);
    const attrs = (e: XmlElement | undefined) => Object.fromEntries(e!.attributes);
    const { ID: _frameId, ...frameAttrs } = attrs(frame);
    assert.deepEqual(frameAttrs, {
      Boundary: '19.875 29.875 40.25 50.25',
      LineWidth: '0.25',
      Stroke: 'true',
      Fill: 'false',
    });
    assert.equal(ofdChild(frame!, 'StrokeColor')!.attributes.get('Value'), '0 0 0');
    assert.equal(ofdChild(frame!, 'FillColor'), undefined);
    assert.equal(
      ofdChild(frame!, 'AbbreviatedData')!.text,
      'M 0.125 0.125 L 40.125 0.125 L 40.125 50.125 L 0.125 50.125 C',
    );
    assert.equal(bar!.local, 'PathObject');
    assert.deepEqual(
      [bar!.attributes.get('Boundary'), bar!.attributes.get('Stroke'), bar!.attributes.get('Fill')],
      ['0 0 10 5', 'false', 'true'],
    );
    assert.equal(bar!.attributes.get('LineWidth'), undefined);
    assert.deepEqual(
      bar!.children.map((c) => [c.local, c.attributes.get('Value') ?? c.text]),
      [
        ['FillColor', '0 255 128'],
        ['AbbreviatedData', 'M 0 0 L 10 0 L 10 5 L 0 5 C'],
      ],
    );
    assert.deepEqual(
      both!.children.map((c) => [c.local, c.attributes.get('Value') ?? c.text]),
      [
        ['StrokeColor', '0 0 255'],
        ['FillColor', '255 255 255'],
        ['AbbreviatedData', 'M 0.5 0.5 L 7.5 0.5 L 7.5 8.5 L 0.5 8.5 C'],
      ],
    );
    assert.equal(both!.attributes.get('Boundary'), '4.5 5.5 8 9');

    const doc = parseXml(files.get('Doc_0/Document.xml')!);
    assert.deepEqual(
      doc.children.map((c) => c.local),
      ['CommonData', 'Pages', 'Attachments'],
    );
    assert.equal(ofdChild(doc, 'Attachments')!.text, 'Attachs/Attachments.xml');
    const list = parseXml(files.get('Doc_0/Attachs/Attachments.xml')!);
    assert.equal(list.name, 'ofd:Attachments');
    const att = ofdChild(list, 'Attachment')!;
    const { ID: attId, ...attAttrs } = attrs(att);
    assert.deepEqual(attAttrs, {
      Name: 'certificate.json',
      Format: 'json',
      CreationDate: '2025-06-01T08:00:00Z',
      Size: mm(json.length / 1024),
      Visible: 'true',
    });
    assert.equal(ofdChild(att, 'FileLoc')!.text, 'certificate.json');
    assert.ok(files.get('Doc_0/Attachs/certificate.json')!.equals(json));
    const ids: number[] = [];
    const walk = (e: XmlElement) => {
      if (e.attributes.has('ID')) ids.push(Number(e.attributes.get('ID')));
      e.children.forEach(walk);
    };
    for (const p of files.keys()) if (p.endsWith('.xml')) walk(parseXml(files.get(p)!));
    assert.equal(new Set(ids).size, ids.length, 'IDs are unique');
    assert.equal(ofdChild(ofdChild(doc, 'CommonData')!, 'MaxUnitID')!.text, String(Math.max(...ids)));
    assert.equal(Number(attId), Math.max(...ids));

    // The attachment is covered by the seal like every other file.
    const sealed = await sign(files);
    assert.deepEqual(verify(sealed).failures, []);
    const changed = unpackOfd(sealed);
    changed.set('Doc_0/Attachs/certificate.json', Buffer.from('{}'));
    const verdict = verify(packOfd(changed));
    assert.equal(verdict.ok, false);
    assert.ok(verdict.failures.some((f) => f.path === 'Doc_0/Attachs/certificate.json'));

    const withItem = (item: unknown) =>
      buildOfd({
        ...input,
        page: { ...input.page, items: [item as BuildOfdOptions['page']['items'][number]] },
      });
    assert.throws(
      () => withItem({ kind: 'text', text: 'x', xMm: 0, yMm: 0, sizeMm: 3, color: 'red' }),
      /#rrggbb/,
    );
    assert.throws(
      () => withItem({ kind: 'rect', xMm: 0, yMm: 0, widthMm: 1, heightMm: 1, fill: '#12345' }),
      /填充颜色/,
    );
    assert.throws(() => withItem({ kind: 'rect', xMm: 0, yMm: 0, widthMm: 0, heightMm: 1 }), /宽度/);
    assert.throws(
      () => withItem({ kind: 'rect', xMm: 0, yMm: 0, widthMm: 1, heightMm: 1, strokeMm: 0 }),
      /边框宽度/,
    );
    assert.throws(() => buildOfd({ ...input, attachments: [{ name: '../x.json', file: json }] }), /附件名称/);
    assert.throws(
      () =>
        buildOfd({
          ...input,
          attachments: [
            { name: 'a.json', file: json },
            { name: 'a.json', file: json },
          ],
        }),
      /重复/,
    );
  });

  test('a sealed package verifies and reports the signer and custom data', () => {
    const verdict = verify(signed);
    assert.deepEqual(verdict.failures, []);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.signer?.sealName, SEAL_NAME);
    assert.equal(verdict.signer?.serialHex, sealCert.serialHex);
    assert.equal(verdict.signer?.signedAt.toISOString(), SIGN_TIME.toISOString());
    assert.deepEqual(verdict.customData, input.customData);
  });

  test('the signature files follow REFERENCE §6', () => {
    const files = unpackOfd(signed);
    assert.deepEqual(
      [...files.keys()].filter((p) => p.startsWith('Doc_0/Signs/')),
      [
        'Doc_0/Signs/Sign_0/Seal.esl',
        'Doc_0/Signs/Sign_0/Signature.xml',
        'Doc_0/Signs/Sign_0/SignedValue.dat',
        'Doc_0/Signs/Signatures.xml',
      ],
    );
    const body = ofdChild(parseXml(files.get('OFD.xml')!), 'DocBody')!;
    assert.deepEqual(
      body.children.map((c) => c.local),
      ['DocInfo', 'DocRoot', 'Signatures'],
    );
    assert.equal(ofdChild(body, 'Signatures')!.text, '/Doc_0/Signs/Signatures.xml');
    const entry = ofdChild(parseXml(files.get('Doc_0/Signs/Signatures.xml')!), 'Signature')!;
    assert.deepEqual(Object.fromEntries(entry.attributes), {
      ID: '1',
      Type: 'Seal',
      BaseLoc: '/Doc_0/Signs/Sign_0/Signature.xml',
    });
    assert.ok(files.get(`${SIG_DIR}/Seal.esl`)!.every((b, i) => b === seal[i]));

    const signature = parseXml(files.get(`${SIG_DIR}/Signature.xml`)!);
    const info = ofdChild(signature, 'SignedInfo')!;
    assert.deepEqual(
      info.children.map((c) => c.local),
      ['Provider', 'SignatureMethod', 'SignatureDateTime', 'References', 'StampAnnot', 'Seal'],
    );
    assert.equal(ofdChild(info, 'Provider')!.attributes.get('ProviderName'), 'roadcert');
    assert.equal(ofdChild(info, 'SignatureMethod')!.text, '1.2.156.10197.1.501');
    assert.equal(ofdChild(info, 'SignatureDateTime')!.text, '2025-06-01T08:00:00Z');
    const refs = ofdChild(info, 'References')!;
    assert.equal(refs.attributes.get('CheckMethod'), '1.2.156.10197.1.401');
    const covered = ofdChildren(refs, 'Reference').map((r) => {
      const path = r.attributes.get('FileRef')!.slice(1);
      assert.equal(ofdChild(r, 'CheckValue')!.text, sm3(files.get(path)!).toString('base64'), path);
      return path;
    });
    assert.deepEqual(
      covered,
      [...files.keys()].filter((p) => p !== `${SIG_DIR}/Signature.xml` && p !== `${SIG_DIR}/SignedValue.dat`),
    );
    const pageId = ofdChild(
      ofdChild(parseXml(files.get('Doc_0/Document.xml')!), 'Pages')!,
      'Page',
    )!.attributes.get('ID');
    assert.deepEqual(Object.fromEntries(ofdChild(info, 'StampAnnot')!.attributes), {
      ID: '1',
      PageRef: pageId,
      Boundary: '200 120 42 42',
    });
    assert.equal(ofdChild(ofdChild(info, 'Seal')!, 'BaseLoc')!.text, '/Doc_0/Signs/Sign_0/Seal.esl');
    assert.equal(ofdChild(signature, 'SignedValue')!.text, '/Doc_0/Signs/Sign_0/SignedValue.dat');

    const ses = parseSesSignature(files.get(`${SIG_DIR}/SignedValue.dat`)!);
    assert.equal(ses.propertyInfo, '/Doc_0/Signs/Sign_0/Signature.xml');
    assert.deepEqual(ses.dataHash, sm3(files.get(`${SIG_DIR}/Signature.xml`)!));
    assert.equal(ses.timeInfo.toISOString(), SIGN_TIME.toISOString());
  });

  test('one changed byte in any file is refused, naming that file', () => {
    const paths = [...unpackOfd(signed).keys()];
    assert.ok(paths.length >= 11);
    for (const path of paths) {
      const bad = tampered((files) => {
        const copy = Buffer.from(files.get(path)!);
        copy[copy.length >> 1]! ^= 0x01;
        files.set(path, copy);
      });
      const verdict = verify(bad);
      assert.equal(verdict.ok, false, `${path} changed but accepted`);
      assert.equal(verdict.customData, undefined);
      assert.ok(
        verdict.failures.some((f) => f.path === path),
        `${path}: ${JSON.stringify(verdict.failures)}`,
      );
      const codes = verdict.failures.map((f) => f.code);
      // The flip may also break a FileRef; the signed hash still names the file.
      if (path === `${SIG_DIR}/Signature.xml`) assert.ok(codes.includes('SIGNATURE_XML_CHANGED'), path);
      else if (path === `${SIG_DIR}/SignedValue.dat`) assert.ok(!codes.includes('REFERENCE_MISMATCH'), path);
      else if (path.endsWith('.xml') && codes.includes('PACKAGE_MALFORMED'))
        continue; // flip broke the XML
      else assert.equal(codes[0], 'REFERENCE_MISMATCH', path);
    }
  });

  test('a changed text, an added file and a removed file are refused', () => {
    const content = 'Doc_0/Pages/Page_0/Content.xml';
    const changed = verify(
      tampered((files) => files.set(content, Buffer.from(str(files.get(content)).replace('张三', '李四')))),
    );
    assert.deepEqual(
      changed.failures.map((f) => [f.code, f.path]),
      [['REFERENCE_MISMATCH', content]],
    );
    assert.match(changed.failures[0]!.message, /Content\.xml 在签章后被修改/);

    // The attested data itself: a changed certificate number in CustomDatas.
    const number = verify(
      tampered((files) =>
        files.set(
          'OFD.xml',
          Buffer.from(str(files.get('OFD.xml')).replace('199001011234<', '199001019999<')),
        ),
      ),
    );
    assert.deepEqual(
      number.failures.map((f) => [f.code, f.path]),
      [['REFERENCE_MISMATCH', 'OFD.xml']],
    );

    const added = verify(tampered((files) => files.set('Doc_0/Res/extra.png', sealPicture)));
    assert.deepEqual(
      added.failures.map((f) => [f.code, f.path]),
      [['UNREFERENCED_FILE', 'Doc_0/Res/extra.png']],
    );
    const removed = verify(tampered((files) => files.delete('Doc_0/Res/image_4.png')));
    assert.deepEqual(
      removed.failures.map((f) => [f.code, f.path]),
      [['REFERENCED_FILE_MISSING', 'Doc_0/Res/image_4.png']],
    );
  });

  test('a changed Signature.xml is refused, also when its CheckValue is "fixed" to match', () => {
    const sigPath = `${SIG_DIR}/Signature.xml`;
    const moved = verify(
      tampered((files) =>
        files.set(
          sigPath,
          Buffer.from(str(files.get(sigPath)).replace('Boundary="200 120 42 42"', 'Boundary="10 10 42 42"')),
        ),
      ),
    );
    assert.deepEqual(
      moved.failures.map((f) => [f.code, f.path]),
      [['SIGNATURE_XML_CHANGED', sigPath]],
    );

    // The forger edits the page and updates its CheckValue: the signed hash still catches it.
    const content = 'Doc_0/Pages/Page_0/Content.xml';
    const forged = verify(
      tampered((files) => {
        const before = sm3(files.get(content)!).toString('base64');
        const edited = Buffer.from(str(files.get(content)).replace('张三', '李四'));
        files.set(content, edited);
        files.set(
          sigPath,
          Buffer.from(str(files.get(sigPath)).replace(before, sm3(edited).toString('base64'))),
        );
      }),
    );
    assert.deepEqual(
      forged.failures.map((f) => f.code),
      ['SIGNATURE_XML_CHANGED'],
    );
  });

  test('a seal whose key does not chain to the trusted root is refused', async () => {
    const otherMaker = SoftwareSigner.generate('other-root').signer;
    const otherKey = SoftwareSigner.generate('other-seal').signer;
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
    const forged = await sign(buildOfd(input), {
      seal: otherSeal,
      signer: otherKey,
      signerCertificate: otherCert,
    });
    const verdict = verify(forged);
    assert.equal(verdict.ok, false);
    assert.deepEqual(
      verdict.failures.map((f) => [f.code, f.path]),
      [['CERTIFICATE_NOT_TRUSTED', `${SIG_DIR}/SignedValue.dat`]],
    );
    assert.equal(verdict.signer, undefined);
    assert.ok(verify(forged, [otherRoot]).ok, 'the same package verifies against its own root');
  });

  test('anything that is not a sealed package is refused without throwing', async () => {
    const malformed = (bytes: unknown, code = 'PACKAGE_MALFORMED') => {
      const verdict = verifyOfd(bytes as Uint8Array, { trustedRoots: [root] });
      assert.equal(verdict.ok, false);
      assert.equal(verdict.failures[0]?.code, code, JSON.stringify(verdict.failures));
      assert.ok(
        verdict.failures.every((f) => /[\u4e00-\u9fff]/.test(f.message)),
        'messages are Chinese',
      );
    };
    malformed(Buffer.alloc(0));
    malformed(Buffer.from('not a zip'));
    malformed(signed.subarray(0, signed.length - 30));
    malformed(undefined);
    malformed('x');
    malformed(packOfd(new Map([['Doc_0/Document.xml', Buffer.from('<a/>')]])));
    malformed(packOfd(buildOfd(input)), 'NOT_SIGNED');
    malformed(Buffer.from(zipSync({ '../evil.xml': Buffer.from('x'), 'OFD.xml': Buffer.from('<a/>') })));
    malformed(
      tampered((files) =>
        files.set('OFD.xml', Buffer.from(`<!DOCTYPE x [<!ENTITY e "boom">]>${str(files.get('OFD.xml'))}`)),
      ),
    );
    // A second entry with the same name could show one reader a different file than another.
    const dup = Buffer.from(zipSync({ 'OFD.xml': Buffer.from('<a/>'), 'OFD.xmm': Buffer.from('<b/>') }));
    malformed(Buffer.from(dup.toString('latin1').replaceAll('OFD.xmm', 'OFD.xml'), 'latin1'));

    await assert.rejects(sign(unpackOfd(signed) as Map<string, Buffer>), /已有签名文件/);
    await assert.rejects(
      sign(buildOfd(input), { stamp: { pageIndex: 1, boundaryMm: [0, 0, 42, 42] } }),
      /超出/,
    );
    assert.throws(() => buildOfd({ ...input, fonts: [] }), /字体/);
    assert.throws(() => buildOfd({ ...input, customData: { a: 'bad\u0001' } }), /控制字符/);
  });

  test('unzip and openssl, independently, agree with every hash and the signature', {
    skip: skipWithoutOpenssl || (spawnSync('unzip', ['-v']).status !== 0 && 'unzip not found'),
  }, async () => {
    await withTempDir((dir) => {
      writeFileSync(join(dir, 'cert.ofd'), signed);
      const unzip = spawnSync('unzip', ['-q', 'cert.ofd', '-d', 'pkg'], { cwd: dir, encoding: 'utf8' });
      assert.equal(unzip.status, 0, unzip.stderr);
      const pkg = join(dir, 'pkg');
      const sm3Cli = (file: string) => {
        const r = spawnSync('openssl', ['dgst', '-sm3', '-binary', file], { cwd: pkg });
        assert.equal(r.status, 0, String(r.stderr));
        return r.stdout.toString('base64');
      };
      const info = ofdChild(parseXml(readFileSync(join(pkg, SIG_DIR, 'Signature.xml'))), 'SignedInfo')!;
      const refs = ofdChildren(ofdChild(info, 'References')!, 'Reference');
      assert.equal(refs.length, 9, 'every file but Signature.xml and SignedValue.dat');
      for (const r of refs) {
        const file = r.attributes.get('FileRef')!.slice(1);
        assert.equal(sm3Cli(file), ofdChild(r, 'CheckValue')!.text, file);
      }

      const ses = parseSesSignature(readFileSync(join(pkg, SIG_DIR, 'SignedValue.dat')));
      assert.equal(
        Buffer.from(sm3Cli(`${SIG_DIR}/Signature.xml`), 'base64').toString('hex'),
        ses.dataHash.toString('hex'),
      );
      writeFileSync(join(dir, 'tbs.der'), ses.tbsDer);
      writeFileSync(join(dir, 'tbs.sig'), ses.signature);
      writeFileSync(join(dir, 'signer.pem'), publicKeyToPem(sealCert.publicKey65));
      const asn1 = openssl(
        ['asn1parse', '-inform', 'DER', '-in', join(pkg, SIG_DIR, 'SignedValue.dat')],
        dir,
      );
      assert.equal(asn1.status, 0, asn1.stderr);
      assert.match(asn1.stdout, /IA5STRING\s+:\/Doc_0\/Signs\/Sign_0\/Signature\.xml/);
      const ok = openssl(
        [
          'dgst',
          '-sm3',
          '-verify',
          'signer.pem',
          '-sigopt',
          'distid:1234567812345678',
          '-signature',
          'tbs.sig',
          'tbs.der',
        ],
        dir,
      );
      assert.equal(ok.stdout.trim(), 'Verified OK', ok.stderr);
    });
  });
});
