import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fontkit from '@pdf-lib/fontkit';
import {
  cjkFace,
  collectionFace,
  glyphSet,
  measureFont,
  resolveCjkFontFile,
  subsetCjkFont,
} from '../../../src/documents/fonts/cjk-font.ts';
import {
  type CertificatePage,
  type CertificatePageInput,
  certificatePageText,
  chineseDate,
  layoutCertificatePage,
  printedValue,
  validityText,
} from '../../../src/documents/layout/certificate-page.ts';
import { getTemplate, TEMPLATES, templateDigest } from '../../../src/documents/layout/templates.ts';
import { wrapText } from '../../../src/documents/layout/wrap.ts';
import type { OfdPageItem, OfdRectItem, OfdTextItem } from '../../../src/documents/ofd/write-ofd.ts';
import { DEFAULT_CATALOG } from '../../../src/domain/catalog/index.ts';
import type { FieldDefinition, KindDefinition } from '../../../src/domain/catalog/types.ts';
import { formatIdentifier, formatSerial } from '../../../src/domain/identifiers.ts';
import { sampleRecord } from '../../../src/domain/rules/samples.ts';

/** Published templates never change: a change is a new template id in a new catalog version. */
const PUBLISHED: Record<string, string> = {
  'tpl-071-v1': 'c290def9fbe0416d88637081c7268cdaace75b9e0d4877762ccd47fcec932dda',
  'tpl-072-v1': 'b93a31b1be14f25f268157f2d870d22021adc00d57d7087a767b749f91d044cd',
  'tpl-075-v1': 'b596b309f4ff89b864af8cc6e77716e47baf96ad6a45b1c2e44132141d516a1c',
  'tpl-008-v1': 'a63ffac7f5b60d2a70bcd53b9b5d22aebc9b2eda37f2f43d3eae90007eb34721',
  'tpl-016-v1': '57bf3bb7573b5d5bb3d1585f1405235c46a2cdb169d680ca4a24c44418f2af85',
  'tpl-079-v1': '570409fc4b69a9965910666abe5e2c109acde08af19f92cf5a7d0f4b12cff89a',
  'tpl-074-v1': '27814969f5972f57668ba3687b42b68b29d57a3e687d45914e2050d931667e2f',
  'tpl-013-v1': '032bf4497e653917e91ccb09ee755f5cdb206b19bbef854d17b96cd5fb36722e',
  'tpl-073-v1': 'b58f7750f36fc732e021b733e3510b97eecc48c0281ca464e99f90834fab42e4',
};

const QR_MM = 30.5;
const SEAL_MM = 42;
const INNER = { left: 13, top: 13, right: 197, bottom: 284 };
/** The text box height the OFD writer uses (LINE_HEIGHT in write-ofd.ts). */
const BOX = 1.25;
const EPS = 0.002;

const FILLER = '辽宁省沈阳市和平区十三纬路（ABC-123）第19号、';
/** `n` code points of mixed CJK, Latin, digits and punctuation. */
const longText = (n: number) =>
  Array.from(FILLER.repeat(Math.ceil(n / FILLER.length) + 1))
    .slice(0, n)
    .join('');

/** The longest value the catalog's rules accept for a field. */
function longestValue(field: FieldDefinition): unknown {
  const table = field.codeTable ? DEFAULT_CATALOG.codeTables[field.codeTable]! : undefined;
  switch (field.type) {
    case 'string':
      return longText(field.maxLength ?? 200);
    case 'date':
      return '2025-12-31';
    case 'code':
      return [...table!.entries].sort((a, b) => b.name.length - a.name.length)[0]!.code;
    case 'codeSequence':
      return 'A1A2A3B1B2C1C2'.slice(0, field.maxLength ?? 10);
    case 'stringList':
      return table!.entries.map((e) => e.name);
    case 'integer':
      return 2_147_483_647;
    case 'capacity':
      return '99999.99吨';
    case 'plate':
      return '辽AD12345';
    default:
      return longText(50);
  }
}

function pageInput(
  kind: KindDefinition,
  face: Record<string, unknown>,
  over: Partial<CertificatePageInput['certificate']> = {},
): CertificatePageInput {
  const record = sampleRecord(kind.code);
  return {
    template: getTemplate(kind.templateId),
    kind,
    codeTables: DEFAULT_CATALOG.codeTables,
    certificate: {
      identifier: formatIdentifier({
        typeCode: kind.code,
        issuerCode: record.issuer.code,
        serial: formatSerial(2025, 99_999_999),
        version: 999,
      }),
      certificateNumber: record.certificateNumber,
      issuer: record.issuer,
      issueDate: record.issueDate,
      validFrom: record.validFrom ?? null,
      validTo: record.validTo ?? null,
      face,
      ...over,
    },
    sealName: '辽宁省道路运输电子证照专用章',
    qr: { image: 'qr', sizeMm: QR_MM },
    seal: { image: 'seal', sizeMm: SEAL_MM },
  };
}

async function layout(input: CertificatePageInput): Promise<CertificatePage> {
  const text = certificatePageText(input);
  const [regular, bold] = await Promise.all([
    subsetCjkFont('regular', text.regular),
    subsetCjkFont('bold', text.bold),
  ]);
  // Every printed character has a glyph in the embedded subset (no boxes in a reader).
  assert.deepEqual(measureFont(regular).missing(text.regular), []);
  assert.deepEqual(measureFont(bold).missing(text.bold), []);
  return layoutCertificatePage(input, { regular: measureFont(regular), bold: measureFont(bold) });
}

const texts = (items: readonly OfdPageItem[]) => items.filter((i): i is OfdTextItem => i.kind === 'text');
const box = (t: OfdTextItem) => ({ l: t.xMm, t: t.yMm, r: t.xMm + t.widthMm!, b: t.yMm + t.sizeMm * BOX });
const overlaps = (a: ReturnType<typeof box>, b: ReturnType<typeof box>) =>
  a.l < b.r - EPS && b.l < a.r - EPS && a.t < b.b - EPS && b.t < a.b - EPS;

/** Nothing leaves the inner frame, no two texts overlap, no text runs under the QR, table text stays in its cell. */
function assertNoOverflow(page: CertificatePage, what: string) {
  const items = page.page.items;
  const all = texts(items);
  for (const t of all) {
    const b = box(t);
    assert.ok(
      b.l >= INNER.left && b.r <= INNER.right && b.t >= INNER.top && b.b <= INNER.bottom,
      `${what}: “${t.text}” leaves the frame ${JSON.stringify(b)}`,
    );
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      assert.ok(
        !overlaps(box(all[i]!), box(all[j]!)),
        `${what}: “${all[i]!.text}” overlaps “${all[j]!.text}”`,
      );
    }
  }
  const qr = items.find((i) => i.kind === 'image' && i.image === 'qr')!;
  const qrBox = { l: qr.xMm, t: qr.yMm, r: qr.xMm + QR_MM, b: qr.yMm + QR_MM };
  for (const t of all) assert.ok(!overlaps(box(t), qrBox), `${what}: “${t.text}” under the QR code`);

  const cells = items.filter((i): i is OfdRectItem => i.kind === 'rect' && i.strokeMm === 0.25);
  for (const t of all) {
    const b = box(t);
    const cell = cells.find(
      (c) => c.xMm <= b.l + EPS && b.l < c.xMm + c.widthMm && c.yMm <= b.t + EPS && b.t < c.yMm + c.heightMm,
    );
    if (!cell) continue; // outside the table
    assert.ok(
      b.r <= cell.xMm + cell.widthMm + EPS && b.b <= cell.yMm + cell.heightMm + EPS,
      `${what}: “${t.text}” overflows its cell`,
    );
  }
  // The table ends above the bottom block, the seal sits inside the frame.
  for (const c of cells) assert.ok(c.yMm + c.heightMm <= 214, `${what}: table runs into the bottom block`);
  const [sx, sy, sw, sh] = page.stampMm;
  assert.ok(
    sx >= INNER.left && sy >= INNER.top && sx + sw <= INNER.right && sy + sh <= INNER.bottom,
    `${what}: seal`,
  );
}

/** The printed text, whitespace removed: wrapped lines of one value follow each other. */
const printed = (page: CertificatePage) =>
  texts(page.page.items)
    .map((t) => t.text)
    .join('')
    .replace(/\s+/g, '');

describe('certificate templates and page layout', () => {
  test('each kind has its template: the kind name as title, every face field placed once', () => {
    for (const kind of DEFAULT_CATALOG.kinds) {
      const template = getTemplate(kind.templateId);
      assert.equal(template.title, kind.name);
      const placed = template.cells.flatMap((c) => c.keys);
      assert.deepEqual([...placed].sort(), kind.fields.map((f) => f.key).sort(), kind.templateId);
    }
    assert.throws(
      () => getTemplate('tpl-000-v9'),
      (e: Error & { code?: string }) => e.code === 'TEMPLATE_UNKNOWN',
    );
  });

  test('published templates are pinned: editing one fails here (make a new template id instead)', () => {
    assert.deepEqual([...TEMPLATES.keys()].sort(), Object.keys(PUBLISHED).sort());
    for (const [id, template] of TEMPLATES) assert.equal(templateDigest(template), PUBLISHED[id], id);
    assert.ok(Object.isFrozen(TEMPLATES.get('tpl-013-v1')!.cells));
  });

  test('values print as on paper: codes as their meaning, dates and validity in Chinese', () => {
    const field = (key: string) => DEFAULT_CATALOG.kinds.flatMap((k) => k.fields).find((f) => f.key === key)!;
    const tables = DEFAULT_CATALOG.codeTables;
    assert.equal(printedValue(field('gender'), '1', tables), '男');
    assert.equal(printedValue(field('plateColor'), '2', tables), '黄色');
    assert.equal(printedValue(field('economicType'), '173', tables), '私营有限责任（公司）');
    assert.equal(printedValue(field('firstIssueDate'), '2019-06-18', tables), '2019年06月18日');
    assert.equal(printedValue(field('qualificationCategories'), ['甲', '乙'], tables), '甲、乙');
    assert.equal(printedValue(field('vehicleCount'), 12, tables), '12');
    assert.equal(printedValue(field('remarks'), undefined, tables), '');
    assert.equal(chineseDate('2025-03-01'), '2025年03月01日');
    assert.equal(validityText('2025-03-01', '2031-02-28'), '2025年03月01日至2031年02月28日');
    assert.equal(validityText(null, null), '长期');
  });

  test('line breaking keeps words whole and never starts a line with closing punctuation', () => {
    const em = (s: string) => Array.from(s).reduce((n, ch) => n + (/[\x20-\x7e]/.test(ch) ? 0.5 : 1), 0);
    assert.deepEqual(wrapText('道路运输经营许可证', 4, em), ['道路运输', '经营许可', '证']);
    assert.deepEqual(wrapText('车牌辽AD12345号', 5, em), ['车牌辽', 'AD12345号']);
    assert.deepEqual(wrapText('甲乙丙丁，戊己', 4, em), ['甲乙丙', '丁，戊己']);
    assert.deepEqual(wrapText('甲乙丙（丁）', 4, em), ['甲乙丙', '（丁）']);
    for (const line of wrapText(longText(300), 20, em)) {
      assert.ok(em(line) <= 20, line);
      assert.ok(!/^[，。、；：）]/.test(line) && !/（$/.test(line), line);
    }
    assert.deepEqual(wrapText('X'.repeat(30), 10, em), ['X'.repeat(20), 'X'.repeat(10)]);
  });

  test('sample certificates of every kind lay out in the full-size type', async () => {
    for (const kind of DEFAULT_CATALOG.kinds) {
      const page = await layout(pageInput(kind, sampleRecord(kind.code).face));
      assertNoOverflow(page, kind.templateId);
      assert.equal(page.valueSizeMm, 3.9, kind.templateId);
    }
  });

  test('the longest values the rules allow still fit: type shrinks, lines wrap, nothing overflows', async () => {
    for (const kind of DEFAULT_CATALOG.kinds) {
      const face = Object.fromEntries(kind.fields.map((f) => [f.key, longestValue(f)]));
      const input = pageInput(kind, face, {
        certificateNumber: 'Z'.repeat(64),
        issuer: { name: longText(200) },
        validFrom: '2025-12-31',
        validTo: '2031-12-30',
      });
      const page = await layout(input);
      assertNoOverflow(page, `${kind.templateId} (longest)`);
      const all = printed(page);
      for (const field of kind.fields) {
        const value = printedValue(field, face[field.key], DEFAULT_CATALOG.codeTables).replace(/\s+/g, '');
        if (field.key.endsWith('Mm')) continue; // joined into one 车辆尺寸 cell, checked below
        assert.ok(all.includes(value), `${kind.templateId}: ${field.key} not printed whole`);
      }
      if (kind.fields.some((f) => f.key === 'lengthMm'))
        assert.ok(all.includes('2147483647×2147483647×2147483647'));
      assert.ok(all.includes(longText(200).replace(/\s+/g, '')), 'issuer printed whole');
    }
  });

  test('a face value the template does not place is still printed', async () => {
    const kind = DEFAULT_CATALOG.kinds.find((k) => k.templateId === 'tpl-073-v1')!;
    const face = { ...sampleRecord(kind.code).face, extraNote: '附加说明' };
    const page = await layout(pageInput(kind, face));
    assert.ok(printed(page).includes('extraNote附加说明'));
  });

  test('the embedded font is the Simplified Chinese face, cut to the page: small and deterministic', async () => {
    const text = '中华人民共和国道路运输证编号：0123';
    const a = await subsetCjkFont('regular', text);
    const b = await subsetCjkFont('regular', [...text].reverse().join(''));
    assert.ok(a.equals(b), 'same glyph set, same bytes');
    assert.equal(a.subarray(0, 4).toString('latin1'), 'OTTO');
    assert.ok(a.length < 20_000, `${a.length} bytes`);
    assert.equal(glyphSet('bab'), 'ab');
    assert.deepEqual(measureFont(a).missing('中国z'), ['z']);
    assert.equal(measureFont(a).widthEm('中国'), 2);
    // The SC face, not the collection's first (JP) one: 骨 maps to a different glyph in each.
    const ttc = readFileSync(resolveCjkFontFile('regular'));
    const glyph = (family: string) =>
      fontkit.create(collectionFace(ttc, family)).glyphForCodePoint(0x9aa8).id;
    assert.notEqual(glyph('Noto Serif CJK SC'), glyph('Noto Serif CJK JP'));
    assert.equal(cjkFace('regular').equals(collectionFace(ttc, 'Noto Serif CJK SC')), true);
    const plain = Buffer.from('not a collection');
    assert.equal(collectionFace(plain), plain);
  });
});
