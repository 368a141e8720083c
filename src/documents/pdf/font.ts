import { deflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { type PDFContext, PDFHexString, PDFName, type PDFRef, PDFString } from 'pdf-lib';
import { sm3 } from '../../crypto/sm3.ts';
import { AppError } from '../../errors.ts';

/**
 * Embeds an OpenType/TrueType font in a PDF as a Type0 font (Identity-H), whole and as
 * given: the caller has already subset it (e.g. with `subset-font`).
 *
 * Why not pdf-lib's `embedFont`:
 * - with `subset: false` it writes the whole OpenType file but labels it `CIDFontType0C`
 *   (bare CFF); poppler warns and strict readers refuse it. The right label for an
 *   OpenType file with a CFF table is `FontFile3 /Subtype /OpenType`.
 * - with `subset: true` fontkit re-subsets the CFF; poppler rejects the result for the
 *   Noto CJK subsets that `subset-font` (HarfBuzz) makes and silently substitutes a font.
 * - it cannot tell a missing character from a present one: a missing glyph becomes an
 *   invisible box. Here a character the font lacks is an error.
 *
 * CID-keyed CFF (Noto CJK): a PDF reader selects glyphs by CID through the CFF `charset`,
 * while the codes written here are glyph IDs. HarfBuzz keeps the original CIDs in the
 * subset's charset (glyph 1 → CID 17 …), so readers disagree on which glyph a code means.
 * `normaliseCidCharset` rewrites the charset to identity (CID = glyph ID), in place,
 * which makes both readings the same glyph.
 */

/** The Type0 font objects need the `/W` widths and ToUnicode of exactly the glyphs used. */
export class PdfFontEmbedding {
  /** Glyph ID → the text it stands for (for ToUnicode), in first-use order. */
  readonly #used = new Map<number, string>();
  readonly #font: fontkit.Font;
  readonly #file: Buffer;
  readonly #cff: boolean;
  readonly #scale: number;
  /** Name as the page model refers to it. */
  readonly name: string;
  /** PostScript name with a subset tag derived from the font bytes. */
  readonly baseFont: string;

  constructor(name: string, file: Uint8Array) {
    const bytes = Buffer.from(file);
    const tag = bytes.subarray(0, 4).toString('latin1');
    if (tag === 'ttcf')
      throw invalid(`字体 ${name} 是字体集（TTC），PDF 需要单个 OpenType/TrueType 字体文件`);
    if (tag !== 'OTTO' && tag !== '\0\x01\0\0' && tag !== 'true') {
      throw invalid(`字体 ${name} 不是 OpenType/TrueType 字体`);
    }
    const tables = readTableDirectory(bytes, name);
    this.#cff = tables.has('CFF ');
    this.#file = this.#cff ? normaliseCidCharset(bytes, tables, name) : bytes;
    try {
      this.#font = fontkit.create(this.#file);
    } catch (cause) {
      throw invalid(`无法解析字体 ${name}：${cause instanceof Error ? cause.message : String(cause)}`);
    }
    if (!this.#cff && !tables.has('glyf')) throw invalid(`字体 ${name} 既无 CFF 也无 glyf 字形表`);
    if (!(this.#font.unitsPerEm > 0)) throw invalid(`字体 ${name} 的 unitsPerEm 不正确`);
    this.#scale = 1000 / this.#font.unitsPerEm;
    this.name = name;
    const ps = (this.#font.postscriptName ?? '').replace(/[^A-Za-z0-9-]/g, '').slice(0, 56) || 'Font';
    // Six capitals before `+` mark a subset font (ISO 32000-1 §9.6.4).
    const digest = sm3(this.#file);
    const prefix = [...digest.subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
    this.baseFont = `${prefix}+${ps}`;
  }

  /**
   * The string of 2-byte glyph IDs for `text` (for `Tj`), remembering the glyphs for the
   * font's widths and ToUnicode. Refuses a character the font has no glyph for.
   */
  encode(text: string, where: string): PDFHexString {
    let hex = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      const glyph = this.#font.hasGlyphForCodePoint(cp) ? this.#font.glyphForCodePoint(cp) : undefined;
      if (!glyph || glyph.id === 0) {
        throw invalid(
          `${where}的字符「${ch}」（U+${cp.toString(16).toUpperCase()}）在字体 ${this.name} 中没有字形`,
        );
      }
      if (glyph.id > 0xffff) throw invalid(`字体 ${this.name} 的字形编号超出范围`);
      if (!this.#used.has(glyph.id)) this.#used.set(glyph.id, ch);
      hex += glyph.id.toString(16).padStart(4, '0');
    }
    return PDFHexString.of(hex);
  }

  #advance(gid: number): number {
    return Math.round(this.#font.getGlyph(gid).advanceWidth * this.#scale);
  }

  /** Writes the Type0 font, its descendant CIDFont, descriptor, font file and ToUnicode. */
  embed(context: PDFContext, ref: PDFRef): void {
    const font = this.#font;
    const s = this.#scale;
    // Native zlib rather than pdf-lib's `flateStream` (pako): the same stream, several times faster.
    const fontFile = context.stream(deflateSync(this.#file), {
      ...(this.#cff ? { Subtype: 'OpenType' } : { Length1: this.#file.length }),
      Filter: 'FlateDecode',
    });
    const bbox = font.bbox;
    const descriptor = context.obj({
      Type: 'FontDescriptor',
      FontName: this.baseFont,
      // Symbolic: the glyphs are addressed by ID, not through a standard encoding.
      Flags: 4,
      FontBBox: [bbox.minX, bbox.minY, bbox.maxX, bbox.maxY].map((v) => Math.round(v * s)),
      ItalicAngle: font.italicAngle,
      Ascent: Math.round(font.ascent * s),
      Descent: Math.round(font.descent * s),
      CapHeight: Math.round((font.capHeight || font.ascent) * s),
      StemV: 80,
      [this.#cff ? 'FontFile3' : 'FontFile2']: context.register(fontFile),
    });
    const gids = [...this.#used.keys()].sort((a, b) => a - b);
    const widths: (number | number[])[] = [];
    for (const gid of gids) widths.push(gid, [this.#advance(gid)]);
    const cidFont = context.obj({
      Type: 'Font',
      Subtype: this.#cff ? 'CIDFontType0' : 'CIDFontType2',
      BaseFont: this.baseFont,
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: context.register(descriptor),
      DW: 1000,
      W: widths,
      ...(this.#cff ? {} : { CIDToGIDMap: 'Identity' }),
    });
    const toUnicode = context.flateStream(toUnicodeCmap(gids.map((gid) => [gid, this.#used.get(gid)!])));
    context.assign(
      ref,
      context.obj({
        Type: 'Font',
        Subtype: 'Type0',
        BaseFont: this.baseFont,
        Encoding: 'Identity-H',
        DescendantFonts: [context.register(cidFont)],
        ToUnicode: context.register(toUnicode),
      }),
    );
  }
}

export const fontResourceName = (index: number): PDFName => PDFName.of(`F${index + 1}`);

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', message);
}

function utf16Hex(text: string): string {
  let hex = '';
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, '0');
  return hex.toUpperCase();
}

/** A ToUnicode CMap (Adobe TN #5411) mapping each glyph ID to its text. */
function toUnicodeCmap(entries: readonly (readonly [number, string])[]): Buffer {
  const lines = [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
  ];
  // At most 100 entries per block.
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    lines.push(`${block.length} beginbfchar`);
    for (const [gid, text] of block) {
      lines.push(`<${gid.toString(16).padStart(4, '0').toUpperCase()}> <${utf16Hex(text)}>`);
    }
    lines.push('endbfchar');
  }
  lines.push('endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end');
  return Buffer.from(`${lines.join('\n')}\n`, 'latin1');
}

// ---------------------------------------------------------------- sfnt and CFF structure

interface TableRecord {
  readonly recordAt: number;
  readonly offset: number;
  readonly length: number;
}

function readTableDirectory(font: Buffer, name: string): Map<string, TableRecord> {
  const bad = () => invalid(`字体 ${name} 的表目录不正确`);
  if (font.length < 12) throw bad();
  const count = font.readUInt16BE(4);
  if (12 + 16 * count > font.length) throw bad();
  const tables = new Map<string, TableRecord>();
  for (let i = 0; i < count; i++) {
    const at = 12 + 16 * i;
    const offset = font.readUInt32BE(at + 8);
    const length = font.readUInt32BE(at + 12);
    if (offset + length > font.length) throw bad();
    tables.set(font.subarray(at, at + 4).toString('latin1'), { recordAt: at, offset, length });
  }
  return tables;
}

function checksum(data: Buffer): number {
  let sum = 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) sum = (sum + data.readUInt32BE(i)) >>> 0;
  if (whole < data.length) {
    // The last, short word is padded with zeros.
    const word = Buffer.alloc(4);
    data.copy(word, 0, whole);
    sum = (sum + word.readUInt32BE(0)) >>> 0;
  }
  return sum;
}

/** A CFF INDEX at `pos`: the byte ranges of its items and where it ends. */
function readIndex(cff: Buffer, pos: number): { items: [number, number][]; end: number } {
  const count = cff.readUInt16BE(pos);
  if (count === 0) return { items: [], end: pos + 2 };
  const offSize = cff[pos + 2]!;
  if (offSize < 1 || offSize > 4) throw new RangeError('CFF INDEX offSize');
  const offset = (i: number) => cff.readUIntBE(pos + 3 + i * offSize, offSize);
  const base = pos + 3 + (count + 1) * offSize - 1;
  const items: [number, number][] = [];
  for (let i = 0; i < count; i++) items.push([base + offset(i), base + offset(i + 1)]);
  return { items, end: base + offset(count) };
}

/** Operator (12 x → 1200 + x) → operands of a CFF DICT. */
function readDict(cff: Buffer, start: number, end: number): Map<number, number[]> {
  const dict = new Map<number, number[]>();
  let operands: number[] = [];
  let pos = start;
  while (pos < end) {
    const b0 = cff[pos]!;
    if (b0 <= 21) {
      const op = b0 === 12 ? 1200 + cff[pos + 1]! : b0;
      pos += b0 === 12 ? 2 : 1;
      dict.set(op, operands);
      operands = [];
    } else if (b0 === 28) {
      operands.push(cff.readInt16BE(pos + 1));
      pos += 3;
    } else if (b0 === 29) {
      operands.push(cff.readInt32BE(pos + 1));
      pos += 5;
    } else if (b0 === 30) {
      // A real number: nibbles up to the 0xf terminator; its value is not needed here.
      pos += 1;
      while (pos < end && (cff[pos]! & 0x0f) !== 0x0f && (cff[pos]! & 0xf0) !== 0xf0) pos += 1;
      pos += 1;
      operands.push(Number.NaN);
    } else if (b0 >= 32 && b0 <= 246) {
      operands.push(b0 - 139);
      pos += 1;
    } else if (b0 >= 247 && b0 <= 250) {
      operands.push((b0 - 247) * 256 + cff[pos + 1]! + 108);
      pos += 2;
    } else if (b0 >= 251 && b0 <= 254) {
      operands.push(-(b0 - 251) * 256 - cff[pos + 1]! - 108);
      pos += 2;
    } else {
      throw new RangeError(`CFF DICT byte ${b0}`);
    }
  }
  return dict;
}

const CFF_CHARSET = 15;
const CFF_CHARSTRINGS = 17;
const CFF_ROS = 1230;

/** Byte length of the charset at `at` covering glyphs 1 … n-1 (formats 0, 1, 2). */
function charsetLength(cff: Buffer, at: number, glyphs: number): { format: number; length: number } {
  const format = cff[at]!;
  if (format === 0) return { format, length: 1 + 2 * (glyphs - 1) };
  if (format !== 1 && format !== 2) throw new RangeError(`CFF charset format ${format}`);
  let covered = 0;
  let pos = at + 1;
  while (covered < glyphs - 1) {
    const nLeft = format === 1 ? cff[pos + 2]! : cff.readUInt16BE(pos + 2);
    covered += nLeft + 1;
    pos += format === 1 ? 3 : 4;
  }
  return { format, length: pos - at };
}

function isIdentityCharset(cff: Buffer, at: number, glyphs: number): boolean {
  const format = cff[at]!;
  let gid = 1;
  let pos = at + 1;
  while (gid < glyphs) {
    if (format === 0) {
      if (cff.readUInt16BE(pos) !== gid) return false;
      gid += 1;
      pos += 2;
    } else {
      const first = cff.readUInt16BE(pos);
      const nLeft = format === 1 ? cff[pos + 2]! : cff.readUInt16BE(pos + 2);
      if (first !== gid) return false;
      gid += nLeft + 1;
      pos += format === 1 ? 3 : 4;
    }
  }
  return true;
}

/** The shortest identity charset (glyph g ↔ CID g) for `glyphs` glyphs. */
function identityCharsets(glyphs: number): Buffer[] {
  const n = glyphs - 1;
  const format2 = Buffer.from([2, 0, 1, (n - 1) >> 8, (n - 1) & 0xff]);
  const ranges: number[] = [1];
  for (let first = 1; first <= n; first += 256) {
    const nLeft = Math.min(256, n - first + 1) - 1;
    ranges.push(first >> 8, first & 0xff, nLeft);
  }
  const format0 = Buffer.alloc(1 + 2 * n);
  for (let g = 1; g <= n; g++) format0.writeUInt16BE(g, 1 + 2 * (g - 1));
  return [format2, Buffer.from(ranges), format0].sort((a, b) => a.length - b.length);
}

/**
 * For a CID-keyed CFF whose charset is not identity, a copy of the font whose charset maps
 * every glyph to the CID equal to its ID, written over the old charset (which is never
 * shorter), with the table checksum and `head.checkSumAdjustment` updated.
 * Any other font is returned unchanged.
 */
function normaliseCidCharset(font: Buffer, tables: Map<string, TableRecord>, name: string): Buffer {
  const record = tables.get('CFF ')!;
  try {
    const cff = font.subarray(record.offset, record.offset + record.length);
    const hdrSize = cff[2]!;
    const names = readIndex(cff, hdrSize);
    const top = readIndex(cff, names.end).items[0];
    if (!top) throw new RangeError('CFF without Top DICT');
    const dict = readDict(cff, top[0], top[1]);
    if (!dict.has(CFF_ROS)) return font; // name-keyed: CIDs are glyph IDs already
    const charStrings = dict.get(CFF_CHARSTRINGS)?.[0];
    const charsetAt = dict.get(CFF_CHARSET)?.[0];
    if (charStrings === undefined || charsetAt === undefined || charsetAt < 3) {
      throw new RangeError('CID CFF without CharStrings or charset');
    }
    const glyphs = readIndex(cff, charStrings).items.length;
    if (glyphs < 2 || isIdentityCharset(cff, charsetAt, glyphs)) return font;
    const { length } = charsetLength(cff, charsetAt, glyphs);
    const replacement = identityCharsets(glyphs).find((c) => c.length <= length);
    if (!replacement) throw new RangeError('no identity charset fits');

    const out = Buffer.from(font);
    const at = record.offset + charsetAt;
    out.fill(0, at, at + length);
    replacement.copy(out, at);
    out.writeUInt32BE(
      checksum(out.subarray(record.offset, record.offset + record.length)),
      record.recordAt + 4,
    );
    const head = tables.get('head');
    if (head) {
      out.writeUInt32BE(0, head.offset + 8);
      out.writeUInt32BE((0xb1b0afba - checksum(out)) >>> 0, head.offset + 8);
    }
    return out;
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw invalid(`字体 ${name} 的 CFF 表不正确：${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
