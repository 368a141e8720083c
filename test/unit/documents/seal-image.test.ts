import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { resolveSealFontFile, SEAL_RED, sealPng, sealSvg } from '../../../src/documents/seal/seal-image.ts';
import { AppError } from '../../../src/errors.ts';

const NAME = '辽宁省道路运输电子证照专用章';

/** Seal red with anti-aliasing: strong red, little green and blue, mostly opaque. */
function isRed(png: PNG, x: number, y: number): boolean {
  const i = (png.width * Math.round(y) + Math.round(x)) * 4;
  const [r, g, b, a] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!, png.data[i + 3]!];
  return a > 200 && r > 180 && g < 60 && b < 60;
}

function alphaAt(png: PNG, x: number, y: number): number {
  return png.data[(png.width * y + x) * 4 + 3]!;
}

describe('seal image', () => {
  test('SVG is deterministic, red, with the characters in reading order', () => {
    const a = sealSvg({ text: NAME });
    assert.equal(a, sealSvg({ text: NAME }), 'same input, byte-identical SVG');
    assert.notEqual(a, sealSvg({ text: NAME, diameterMm: 40 }));
    assert.match(a, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="42mm" height="42mm"/);
    assert.ok(a.includes(`stroke="${SEAL_RED}"`));
    const glyphs = [...a.matchAll(/rotate\((-?[\d.]+)\)[^>]*>([^<]+)<\/text>/g)];
    assert.deepEqual(glyphs.map((m) => m[2]).join(''), NAME, 'one <text> per character, left to right');
    const angles = glyphs.map((m) => Number(m[1]));
    assert.ok(
      angles.every((v, i) => i === 0 || v > angles[i - 1]!),
      'clockwise along the arc',
    );
    // Spread evenly over 240°: first and last centres are half a step inside ±120°.
    const step = 240 / NAME.length;
    assert.ok(Math.abs(angles[0]! - (-120 + step / 2)) < 0.01);
    assert.ok(Math.abs(angles.at(-1)! - (120 - step / 2)) < 0.01);
  });

  test('text is escaped and bad input refused', () => {
    assert.ok(sealSvg({ text: 'A&B<C' }).includes('&amp;'));
    assert.ok(!sealSvg({ text: 'A&B<C' }).includes('<C'));
    assert.ok(sealSvg({ text: NAME, bottomText: '业务专用' }).includes('>业务专用</text>'));
    const refused = (e: unknown) => e instanceof AppError && e.code === 'VALIDATION_FAILED';
    assert.throws(() => sealSvg({ text: '   ' }), refused);
    assert.throws(() => sealSvg({ text: 'x'.repeat(31) }), refused);
    assert.throws(() => sealSvg({ text: NAME, diameterMm: Number.NaN }), refused);
    assert.throws(() => sealPng({ text: NAME, sizePx: 10.5 }), refused);
  });

  test('a missing font file is a clear configuration error', () => {
    assert.throws(
      () => sealPng({ text: NAME, fontFile: '/nonexistent/seal-font.ttc' }),
      (e: unknown) =>
        e instanceof AppError && e.code === 'CONFIG_INVALID' && /fonts-noto-cjk/.test(e.message),
    );
  });

  test('PNG: square, transparent corners, red ring, star and characters', () => {
    resolveSealFontFile(); // fails here with the install hint when the font is missing
    const size = 400;
    const bytes = sealPng({ text: NAME, sizePx: size });
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync('test-artifacts/seal.png', bytes);
    assert.deepEqual(bytes, sealPng({ text: NAME, sizePx: size }), 'deterministic PNG');

    const png = PNG.sync.read(bytes);
    assert.equal(png.width, size);
    assert.equal(png.height, size);
    for (const [x, y] of [
      [0, 0],
      [size - 1, 0],
      [0, size - 1],
      [size - 1, size - 1],
      [20, 20],
    ] as const) {
      assert.equal(alphaAt(png, x, y), 0, `corner ${x},${y} transparent`);
    }
    const c = size / 2;
    const ringRadius = c - (size * 0.029) / 2; // middle of the ring stroke
    for (let deg = 0; deg < 360; deg += 15) {
      const a = (deg * Math.PI) / 180;
      assert.ok(isRed(png, c + ringRadius * Math.sin(a), c - ringRadius * Math.cos(a)), `ring at ${deg}°`);
    }
    assert.ok(isRed(png, c, c), 'star centre');
    assert.ok(isRed(png, c, c - size * 0.17 * 0.8), 'star top point');
    assert.equal(alphaAt(png, c, Math.round(c + size * 0.3)), 0, 'empty below the star (no bottom text)');

    // Glyph ink on the text circle, above the horizon; none in the open bottom sector.
    const textRadius = c - size * (0.029 + 0.03 + 0.075);
    const inkIn = (fromDeg: number, toDeg: number) => {
      let ink = 0;
      for (let deg = fromDeg; deg <= toDeg; deg += 0.5) {
        for (let dr = -size * 0.06; dr <= size * 0.06; dr += 1) {
          const a = (deg * Math.PI) / 180;
          if (isRed(png, c + (textRadius + dr) * Math.sin(a), c - (textRadius + dr) * Math.cos(a))) ink++;
        }
      }
      return ink;
    };
    assert.ok(inkIn(-115, 115) > 2000, 'characters drawn along the upper arc');
    assert.equal(inkIn(130, 230), 0, 'bottom of the seal left open');
  });
});
