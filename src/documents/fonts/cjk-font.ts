import { existsSync, readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { sm3Hex } from '../../crypto/sm3.ts';
import { AppError } from '../../errors.ts';
import { SubsetFace } from './harfbuzz-subset.ts';

/**
 * The fonts embedded in certificate documents: Noto Serif CJK SC (思源宋体, SIL OFL 1.1) from the
 * Debian package `fonts-noto-cjk`, Regular for the page and Bold for the title.
 *
 * The installed files are TrueType collections (JP, KR, SC, TC, HK faces sharing glyph data).
 * `collectionFace` copies the SC face out into a stand-alone OpenType (CFF) font, whose cmap maps
 * to the Simplified Chinese glyph forms; `subsetCjkFont` then keeps exactly the glyphs of a
 * page's text with HarfBuzz (harfbuzz-subset.ts, the face loaded once per process). Both OFD
 * and PDF embed the same subset bytes.
 */

export type CjkWeight = 'regular' | 'bold';

/** The name readers match; the same for both weights (the bold one is a separate font entry). */
export const CJK_FAMILY = 'Noto Serif CJK SC';

const FACE_FAMILY = 'Noto Serif CJK SC';

const CANDIDATE_DIRS = [
  '/usr/share/fonts/opentype/noto', // Debian/Ubuntu fonts-noto-cjk
  '/usr/share/fonts/noto-cjk', // Arch, Alpine
  '/usr/share/fonts/google-noto-serif-cjk-fonts', // Fedora
];

const FILES: Record<CjkWeight, string> = {
  regular: 'NotoSerifCJK-Regular.ttc',
  bold: 'NotoSerifCJK-Bold.ttc',
};

/** Path of the collection for `weight`, or a clear CONFIG_INVALID naming the package to install. */
export function resolveCjkFontFile(weight: CjkWeight): string {
  const candidates = CANDIDATE_DIRS.map((d) => `${d}/${FILES[weight]}`);
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      `未找到证照文档字体文件（${candidates.join('，')}）：请安装 Debian 软件包 fonts-noto-cjk（思源宋体 Noto Serif CJK）`,
      { details: { fontCandidates: candidates } },
    );
  }
  return found;
}

function fontError(message: string): AppError {
  return new AppError('CONFIG_INVALID', `字体文件无法使用：${message}`);
}

/** Family names (name ID 1 and 16) of the sfnt at `offset` in `file`, as Unicode strings. */
function familyNames(file: Buffer, offset: number): string[] {
  const numTables = file.readUInt16BE(offset + 4);
  for (let i = 0; i < numTables; i++) {
    const rec = offset + 12 + 16 * i;
    if (file.toString('latin1', rec, rec + 4) !== 'name') continue;
    const table = file.readUInt32BE(rec + 8);
    const count = file.readUInt16BE(table + 2);
    const strings = table + file.readUInt16BE(table + 4);
    const names: string[] = [];
    for (let j = 0; j < count; j++) {
      const r = table + 6 + 12 * j;
      const [platform, encoding, , nameId, length, at] = [0, 2, 4, 6, 8, 10].map((k) =>
        file.readUInt16BE(r + k),
      );
      if (platform !== 3 || encoding !== 1 || (nameId !== 1 && nameId !== 16)) continue;
      const raw = Buffer.from(file.subarray(strings + at!, strings + at! + length!));
      names.push(raw.swap16().toString('utf16le'));
    }
    return names;
  }
  return [];
}

/**
 * The face named `family` of a collection (`ttcf`) as a stand-alone sfnt: the table directory
 * of that face with every table it points at copied after it (4-byte aligned). A plain
 * OpenType/TrueType file is returned unchanged.
 */
export function collectionFace(file: Buffer, family = FACE_FAMILY): Buffer {
  if (file.toString('latin1', 0, 4) !== 'ttcf') return file;
  const count = file.readUInt32BE(8);
  for (let f = 0; f < count; f++) {
    const offset = file.readUInt32BE(12 + 4 * f);
    if (!familyNames(file, offset).includes(family)) continue;
    const numTables = file.readUInt16BE(offset + 4);
    const headerLength = 12 + 16 * numTables;
    const tables: { tag: Buffer; checksum: number; data: Buffer }[] = [];
    for (let i = 0; i < numTables; i++) {
      const rec = offset + 12 + 16 * i;
      const at = file.readUInt32BE(rec + 8);
      const length = file.readUInt32BE(rec + 12);
      if (at + length > file.length) throw fontError('字体集中的表超出文件范围');
      tables.push({
        tag: file.subarray(rec, rec + 4),
        checksum: file.readUInt32BE(rec + 4),
        data: file.subarray(at, at + length),
      });
    }
    const header = Buffer.alloc(headerLength);
    file.copy(header, 0, offset, offset + 12);
    const parts: Buffer[] = [header];
    let at = headerLength;
    tables.forEach((t, i) => {
      const rec = 12 + 16 * i;
      t.tag.copy(header, rec);
      header.writeUInt32BE(t.checksum, rec + 4);
      header.writeUInt32BE(at, rec + 8);
      header.writeUInt32BE(t.data.length, rec + 12);
      const padded = (t.data.length + 3) & ~3;
      parts.push(t.data, Buffer.alloc(padded - t.data.length));
      at += padded;
    });
    return Buffer.concat(parts);
  }
  throw fontError(`字体集中没有 ${family} 字体`);
}

const faces = new Map<CjkWeight, Buffer>();

/** The SC face of the installed collection, read once per process. */
export function cjkFace(weight: CjkWeight): Buffer {
  let face = faces.get(weight);
  if (!face) {
    face = collectionFace(readFileSync(resolveCjkFontFile(weight)));
    faces.set(weight, face);
  }
  return face;
}

/** The distinct characters of `text`, sorted by code point: the key of a glyph set. */
export function glyphSet(text: string): string {
  const chars = [...new Set(Array.from(text))].filter((c) => !/\p{Cc}/u.test(c));
  return chars.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!).join('');
}

const MAX_CACHED_SUBSETS = 256;
const subsets = new Map<string, Buffer>();
const subsetFaces = new Map<CjkWeight, SubsetFace>();

function subsetFaceOf(weight: CjkWeight): SubsetFace {
  let face = subsetFaces.get(weight);
  if (!face) {
    face = new SubsetFace(cjkFace(weight));
    subsetFaces.set(weight, face);
  }
  return face;
}

/**
 * The face cut down to the glyphs of `text` (plus .notdef), as OpenType/CFF. Hinting, layout
 * closure and glyph names are dropped: a certificate is set horizontally and never edited, and
 * that keeps a page's font at tens of KB. Deterministic: the same characters give the same bytes
 * (the subset is keyed by the sorted set, so the order of the text does not matter). Cached in
 * memory per weight and glyph set; the source face stays loaded in HarfBuzz, so a new glyph set
 * costs a few milliseconds.
 */
export async function subsetCjkFont(weight: CjkWeight, text: string): Promise<Buffer> {
  const chars = glyphSet(text);
  const key = `${weight}:${sm3Hex(chars)}`;
  const cached = subsets.get(key);
  if (cached) return cached;
  let subset: Buffer;
  try {
    subset = subsetFaceOf(weight).subset(chars, { noLayoutClosure: true, noHinting: true });
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw fontError(cause instanceof Error ? cause.message : String(cause));
  }
  if (subsets.size >= MAX_CACHED_SUBSETS) subsets.delete(subsets.keys().next().value!);
  subsets.set(key, subset);
  return subset;
}

/** Measures text set in a font: advance widths from the font's own metrics. */
export interface TextMeasure {
  /** Width of `text` in em (1 = the font size). */
  widthEm(text: string): number;
  /** Characters `text` has no glyph for in this font. */
  missing(text: string): string[];
}

/** A measure over `font` bytes (a subset or a whole face), without kerning or shaping. */
export function measureFont(font: Uint8Array): TextMeasure {
  const parsed = fontkit.create(Buffer.from(font));
  const upem = parsed.unitsPerEm;
  const advance = new Map<number, number>();
  const glyphOf = (cp: number) => {
    let w = advance.get(cp);
    if (w === undefined) {
      w = parsed.hasGlyphForCodePoint(cp) ? parsed.glyphForCodePoint(cp).advanceWidth / upem : Number.NaN;
      advance.set(cp, w);
    }
    return w;
  };
  return {
    widthEm(text) {
      let em = 0;
      for (const ch of text) {
        const w = glyphOf(ch.codePointAt(0)!);
        // A character without a glyph still takes room in a reader (a box): count it full width.
        em += Number.isNaN(w) ? 1 : w;
      }
      return em;
    },
    missing(text) {
      return [...new Set(Array.from(text))].filter((ch) => Number.isNaN(glyphOf(ch.codePointAt(0)!)));
    },
  };
}
