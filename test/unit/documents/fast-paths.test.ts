import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import jsQRModule from 'jsqr';
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
} from 'pdf-lib';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import subsetFont from 'subset-font';
import { cjkFace, glyphSet, subsetCjkFont } from '../../../src/documents/fonts/cjk-font.ts';
import { SubsetFace } from '../../../src/documents/fonts/harfbuzz-subset.ts';
import { embedPngPicture, pngImageStreams } from '../../../src/documents/pdf/image.ts';
import { qrPng } from '../../../src/documents/qr/qr-image.ts';
import { sealPng } from '../../../src/documents/seal/seal-image.ts';

/**
 * The rendering speed-ups (docs/benchmarks.md §Documents) keep what a document shows: the kept
 * HarfBuzz face gives the bytes `subset-font` gives, the QR PNG has the pixels of the `qrcode`
 * package's PNG, and a PDF picture written without pdf-lib's `embedPng` rasterizes (poppler) to
 * the same pixels as with it.
 */

const jsQR = jsQRModule.default;
const poppler = spawnSync('pdftoppm', ['-v']).status === 0;
const QR_TEXT = `https://zz.jtt.ln.gov.cn/v#${'3141592653'.repeat(36)}`;
const SEAL_NAME = '辽宁省道路运输电子证照专用章';
const PAGE_TEXT =
  '中华人民共和国道路运输经营许可证辽宁省大连市甘井子区营运车辆从业资格证驾驶员姓名性别出生日期有效期至年月日发证机关0123456789ABCXYZ（）：、，。';

const pixels = (png: Uint8Array) => PNG.sync.read(Buffer.from(png));

describe('document rendering fast paths keep the output', () => {
  test('a kept HarfBuzz face subsets to the same bytes as subset-font', async () => {
    for (const weight of ['regular', 'bold'] as const) {
      const face = new SubsetFace(cjkFace(weight));
      for (const text of [PAGE_TEXT, '道路运输证', 'A1']) {
        const chars = glyphSet(text);
        const expected = Buffer.from(
          await subsetFont(cjkFace(weight), chars, {
            targetFormat: 'sfnt',
            noLayoutClosure: true,
            noHinting: true,
          }),
        );
        const kept = face.subset(chars, { noLayoutClosure: true, noHinting: true });
        assert.ok(kept.equals(expected), `${weight} ${text}: ${kept.length} vs ${expected.length} bytes`);
        assert.ok((await subsetCjkFont(weight, text)).equals(expected), `subsetCjkFont ${weight} ${text}`);
      }
    }
  });

  test('qrPng: the qrcode package’s pixels as a 1-bit greyscale PNG that decodes', async () => {
    for (const [text, sizePx, margin] of [
      [QR_TEXT, 69 * 8, 4],
      ['https://verify.example.cn/v#1234567890', 300, 4],
      ['short', 100, 0],
    ] as const) {
      const modules = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules.size;
      const scale = Math.floor(sizePx / (modules + 2 * margin));
      const reference = pixels(
        await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin, scale }),
      );
      const png = await qrPng(text, { sizePx, margin });
      assert.equal(png[24], 1, 'bit depth 1');
      assert.equal(png[25], 0, 'greyscale');
      const ours = pixels(png);
      assert.equal(ours.width, reference.width);
      assert.equal(ours.height, reference.height);
      assert.ok(ours.data.equals(reference.data), `${text}: same pixels`);
      assert.ok((await qrPng(text, { sizePx, margin })).equals(png), 'deterministic');
      if (margin > 0) {
        const read = jsQR(new Uint8ClampedArray(ours.data), ours.width, ours.height);
        assert.equal(read?.data, text);
      }
    }
  });

  test('PDF pictures: greyscale passed through, RGBA split once into colour and soft mask', async () => {
    const qr = await qrPng(QR_TEXT, { sizePx: 552 });
    const direct = pngImageStreams(qr)!;
    assert.ok(direct, 'a greyscale PNG is handled');
    assert.equal(direct.smask, undefined);
    assert.equal(direct.image.dict.BitsPerComponent, 1);
    const decodeParms = direct.image.dict.DecodeParms as Record<string, number>;
    assert.equal(decodeParms.Predictor, 15);
    assert.ok(qr.includes(Buffer.from(direct.image.bytes)), 'the IDAT data itself');

    const seal = sealPng({ text: SEAL_NAME, sizePx: 160 });
    const split = pngImageStreams(seal)!;
    assert.ok(split.smask, 'the seal keeps its transparency');
    const rgba = pixels(seal).data;
    const rgb = inflateSync(split.image.bytes);
    const alpha = inflateSync(split.smask.bytes);
    assert.equal(alpha.length, 160 * 160);
    for (let i = 0; i < 160 * 160; i++) {
      assert.equal(alpha[i], rgba[4 * i + 3]);
      for (let k = 0; k < 3; k++) assert.equal(rgb[3 * i + k], rgba[4 * i + k]);
    }
    assert.equal(pngImageStreams(seal), split, 'converted once, then reused');

    // What is not handled goes to pdf-lib: not a PNG, broken image data.
    assert.equal(pngImageStreams(Buffer.from('not a png at all, not a png at all')), undefined);
    const broken = Buffer.from(qr);
    const idat = broken.indexOf('IDAT', 0, 'latin1');
    broken.writeUInt32BE(broken.readUInt32BE(idat - 4) - 8, idat - 4); // shorter IDAT, chunks shift
    assert.equal(pngImageStreams(broken), undefined);
  });

  test('a picture embedded without embedPng rasterizes to the same pixels (poppler)', {
    skip: !poppler && 'pdftoppm (poppler-utils) not installed',
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roadcert-pictures-'));
    try {
      const pictures = {
        qr: await qrPng(QR_TEXT, { sizePx: 552 }),
        seal: sealPng({ text: SEAL_NAME, sizePx: 400 }),
      };
      for (const [name, png] of Object.entries(pictures)) {
        const raster = async (which: 'pdf-lib' | 'roadcert') => {
          const doc = await PDFDocument.create();
          const page = doc.addPage([200, 200]);
          const ref = which === 'pdf-lib' ? (await doc.embedPng(png)).ref : await embedPngPicture(doc, png);
          const image = page.node.newXObject('Im', ref);
          page.pushOperators(
            pushGraphicsState(),
            concatTransformationMatrix(120, 0, 0, 120, 40, 40),
            drawObject(image),
            popGraphicsState(),
          );
          const file = join(dir, `${name}-${which}.pdf`);
          writeFileSync(file, await doc.save());
          const r = spawnSync('pdftoppm', ['-png', '-r', '144', '-singlefile', file, file.slice(0, -4)]);
          assert.equal(r.status, 0, r.stderr.toString());
          return pixels(readFileSync(`${file.slice(0, -4)}.png`));
        };
        const expected = await raster('pdf-lib');
        const ours = await raster('roadcert');
        assert.equal(ours.width, expected.width);
        let differing = 0;
        for (let i = 0; i < ours.data.length; i++) if (ours.data[i] !== expected.data[i]) differing++;
        assert.equal(differing, 0, `${name}: ${differing} channel values differ`);
        if (name === 'seal') {
          // Red ink on a white page: the soft mask took effect.
          const rgbAt = (i: number) => [ours.data[4 * i]!, ours.data[4 * i + 1]!, ours.data[4 * i + 2]!];
          assert.deepEqual(rgbAt(5 * ours.width + 5), [255, 255, 255], 'white outside the seal');
          let red = 0;
          for (let i = 0; i < ours.width * ours.height; i++) {
            const [r, g, b] = rgbAt(i);
            if (r! > 180 && g! < 90 && b! < 90) red++;
          }
          assert.ok(red > 1000, `red seal pixels: ${red}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
