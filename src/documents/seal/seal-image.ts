import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { AppError } from '../../errors.ts';

/**
 * The round red seal (电子印章印模) drawn by code: an outer ring, a five-pointed star in the
 * centre and the seal name along the upper arc, in the layout of a Chinese official seal
 * (公章: 42 mm, 宋体 characters compressed sideways, read clockwise from lower left).
 *
 * `sealSvg` is pure string building with fixed-precision numbers, so the same input gives
 * byte-identical SVG on every machine. `sealPng` rasterises that SVG with resvg and one
 * font file, with system fonts switched off: the picture then depends on the font file
 * only, never on whatever fonts a host happens to have.
 */

/** Seal red (印泥红). */
export const SEAL_RED = '#d40000';

/**
 * The seal font: Noto Serif CJK SC Bold (SIL OFL 1.1), a Song/Ming face like the 宋体 that
 * official seals use. Debian ships it in `fonts-noto-cjk`; the file is a TrueType collection
 * and the family name below picks its Simplified Chinese face.
 */
export const SEAL_FONT_FAMILY = 'Noto Serif CJK SC';
export const SEAL_FONT_CANDIDATES: readonly string[] = [
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc', // Debian/Ubuntu fonts-noto-cjk
  '/usr/share/fonts/noto-cjk/NotoSerifCJK-Bold.ttc', // Arch, Alpine font-noto-cjk
  '/usr/share/fonts/google-noto-serif-cjk-fonts/NotoSerifCJK-Bold.ttc', // Fedora
];

const MAX_CHARS = 30;

export interface SealSvgOptions {
  /** The seal name along the upper arc, e.g. config `province.sealName`. */
  readonly text: string;
  /** Optional short horizontal line under the star (e.g. 业务专用 or a seal number). */
  readonly bottomText?: string;
  /** Outer diameter; 42 mm is the usual size of an organisation's official seal. */
  readonly diameterMm?: number;
}

export interface SealPngOptions extends SealSvgOptions {
  /** Width and height of the square PNG. */
  readonly sizePx?: number;
  /** Font file to use instead of the well-known locations. */
  readonly fontFile?: string;
}

/** Fixed precision so that output is byte-identical across runs and platforms. */
function n(value: number): string {
  const s = value.toFixed(3).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Code points, so that a character outside the BMP is never split in two. */
function characters(text: unknown, what: string, max: number): string[] {
  if (typeof text !== 'string') throw new AppError('VALIDATION_FAILED', `${what}应为字符串`);
  const chars = Array.from(text.trim().replace(/\s+/g, ''));
  if (chars.length === 0 || chars.length > max) {
    throw new AppError('VALIDATION_FAILED', `${what}应为 1–${max} 个非空白字符`);
  }
  if (chars.some((c) => /\p{Cc}/u.test(c))) throw new AppError('VALIDATION_FAILED', `${what}含有控制字符`);
  return chars;
}

/** Points of a five-pointed star pointing up; the inner radius makes a regular pentagram. */
function starPath(cx: number, cy: number, outer: number): string {
  const inner = outer * (Math.sin(Math.PI / 10) / Math.sin((3 * Math.PI) / 10));
  const points: string[] = [];
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? outer : inner;
    const a = (k * Math.PI) / 5; // clockwise from the top
    points.push(`${n(cx + r * Math.sin(a))},${n(cy - r * Math.cos(a))}`);
  }
  return `M${points.join('L')}Z`;
}

export function sealSvg(options: SealSvgOptions): string {
  const d = options.diameterMm ?? 42;
  if (typeof d !== 'number' || !Number.isFinite(d) || d < 20 || d > 80) {
    throw new AppError('VALIDATION_FAILED', '印章直径应在 20–80 毫米之间');
  }
  const chars = characters(options.text, '印章文字', MAX_CHARS);
  const bottom =
    options.bottomText === undefined ? undefined : characters(options.bottomText, '印章下方文字', 12);

  // Proportions of a 42 mm 公章: ring ≈ 1.2 mm, star ≈ 14 mm across, characters ≈ 6.5 mm tall.
  const c = d / 2;
  const ring = d * 0.029;
  const gap = d * 0.05; // between the ring and the tops of the characters
  const fontSize = d * 0.14;
  const textRadius = c - ring - gap - fontSize / 2; // centre line of the characters
  const starOuter = d * 0.17;

  // Long names spread over 240°; short ones keep characters about square and stay centred
  // on the top instead of being pulled apart.
  const maxStepDeg = (((fontSize * 1.1) / textRadius) * 180) / Math.PI;
  const spanDeg = Math.min(240, chars.length * maxStepDeg);
  const stepDeg = spanDeg / chars.length;
  const pitch = ((stepDeg * Math.PI) / 180) * textRadius;
  // Seal characters are narrow and tall (长宋): squeeze sideways, never stretch.
  const squeeze = Math.min(1, (pitch * 0.92) / fontSize);
  // Ideographs sit about 0.88 em above and 0.12 em below the baseline, so a baseline at
  // +0.38 em centres the glyph on the text circle without relying on dominant-baseline.
  const baseline = fontSize * 0.38;

  const glyphs = chars.map((ch, i) => {
    const deg = -spanDeg / 2 + stepDeg * (i + 0.5); // 0 = top, clockwise: reads left to right
    const a = (deg * Math.PI) / 180;
    const x = c + textRadius * Math.sin(a);
    const y = c - textRadius * Math.cos(a);
    return `<text transform="translate(${n(x)} ${n(y)}) rotate(${n(deg)}) scale(${n(squeeze)} 1)" y="${n(baseline)}">${escapeXml(ch)}</text>`;
  });

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(d)}mm" height="${n(d)}mm" viewBox="0 0 ${n(d)} ${n(d)}">`,
    `<g fill="${SEAL_RED}" stroke="none">`,
    `<circle cx="${n(c)}" cy="${n(c)}" r="${n(c - ring / 2)}" fill="none" stroke="${SEAL_RED}" stroke-width="${n(ring)}"/>`,
    `<path d="${starPath(c, c, starOuter)}"/>`,
    `<g font-family="${SEAL_FONT_FAMILY}, SimSun, Songti SC, serif" font-weight="bold" font-size="${n(fontSize)}" text-anchor="middle">`,
    ...glyphs,
  ];
  if (bottom !== undefined) {
    const size = d * 0.085;
    const width = Math.min(bottom.length * size, d * 0.5);
    const y = c + starOuter + d * 0.06 + size * 0.88; // under the star, above the ring
    parts.push(
      `<text x="${n(c)}" y="${n(y)}" font-size="${n(size)}" textLength="${n(width)}" lengthAdjust="spacingAndGlyphs">${escapeXml(bottom.join(''))}</text>`,
    );
  }
  parts.push('</g>', '</g>', '</svg>', '');
  return parts.join('\n');
}

/** The seal font's path, from `explicit` or the well-known locations; a clear error if absent. */
export function resolveSealFontFile(explicit?: string): string {
  const candidates = explicit === undefined ? SEAL_FONT_CANDIDATES : [explicit];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      `未找到印章字体文件（${candidates.join('，')}）：请安装 Debian 软件包 fonts-noto-cjk（思源宋体 Noto Serif CJK），或指定 fontFile`,
      { details: { fontCandidates: candidates } },
    );
  }
  return found;
}

/** Square PNG with a transparent background, rendered from `sealSvg`. */
export function sealPng(options: SealPngOptions): Buffer {
  const size = options.sizePx ?? 400;
  if (!Number.isInteger(size) || size < 32 || size > 4096) {
    throw new AppError('VALIDATION_FAILED', '印章图片边长应为 32–4096 像素的整数');
  }
  const svg = sealSvg(options);
  const fontFile = resolveSealFontFile(options.fontFile);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: SEAL_FONT_FAMILY },
    shapeRendering: 2, // geometricPrecision: anti-aliased edges
    textRendering: 2,
  });
  return Buffer.from(resvg.render().asPng());
}
