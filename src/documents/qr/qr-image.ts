/**
 * QR images of the verification payload (payload.ts), through the `qrcode` package.
 *
 * `qrcode` already splits the text into its cheapest segments: the URL prefix in byte mode
 * and the decimal payload in numeric mode (3 digits per 10 bits). A platform payload is
 * 148 bytes → 355 digits; with a verify base of up to 27 characters the text fits version 9
 * at level M (53×53 modules), a longer base gives version 10 (57×57).
 *
 * Level M (~15 % of codewords recoverable) is the default: a laser-printed A4 page is a
 * clean medium, and Q would cost three versions (~20 % more width) for damage a printed
 * certificate rarely has. At ≥ 0.5 mm per module, which phone cameras read at arm's length,
 * version 9 with its 4-module quiet zone prints at 30.5 mm square.
 */
import { crc32, deflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import { AppError } from '../../errors.ts';

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

export interface QrImageOptions {
  /** Upper bound on the PNG's width; the module size is rounded down to whole pixels. */
  sizePx?: number;
  /** Quiet zone in modules; ISO/IEC 18004 asks for 4. */
  margin?: number;
  errorCorrection?: QrErrorCorrection;
}

export interface QrSymbolInfo {
  /** QR version 1–40. */
  version: number;
  /** Modules per side, without the quiet zone. */
  modules: number;
  errorCorrection: QrErrorCorrection;
}

const DEFAULT_SIZE_PX = 512;
const DEFAULT_MARGIN = 4;
const DEFAULT_EC: QrErrorCorrection = 'M';
/** Smallest module that a phone camera reliably resolves from a printed page. */
export const MIN_PRINT_MODULE_MM = 0.5;

/** Version and size of the symbol `text` needs. */
export function qrSymbolInfo(text: string, errorCorrection: QrErrorCorrection = DEFAULT_EC): QrSymbolInfo {
  const symbol = create(text, errorCorrection);
  return { version: symbol.version, modules: symbol.modules.size, errorCorrection };
}

/** Printed side length in millimetres, quiet zone included. */
export function qrPrintSizeMm(
  text: string,
  options: { moduleMm?: number; margin?: number; errorCorrection?: QrErrorCorrection } = {},
): number {
  const { moduleMm = MIN_PRINT_MODULE_MM, margin = DEFAULT_MARGIN, errorCorrection = DEFAULT_EC } = options;
  return (qrSymbolInfo(text, errorCorrection).modules + 2 * margin) * moduleMm;
}

/**
 * PNG, black on white. The module is a whole number of pixels (crisp edges when placed in an
 * OFD page at its own size); the image is therefore at most `sizePx` wide.
 *
 * Written here as a 1-bit greyscale PNG (the first pixel row of a module row unfiltered, the
 * rows repeating it filtered Up, zlib level 9): the same pixels as the
 * `qrcode` package's RGBA PNG at a fraction of the cost (it tries five row filters on four
 * bytes a pixel, ≈ 100 ms for a document's symbol) and a smaller file. Deterministic.
 */
export async function qrPng(text: string, options: QrImageOptions = {}): Promise<Buffer> {
  const { sizePx = DEFAULT_SIZE_PX, margin = DEFAULT_MARGIN, errorCorrection = DEFAULT_EC } = options;
  checkMargin(margin);
  const symbol = create(text, errorCorrection);
  const modules = symbol.modules.size;
  const scale = Math.floor(sizePx / (modules + 2 * margin));
  if (!Number.isInteger(sizePx) || scale < 1) {
    throw new AppError(
      'VALIDATION_FAILED',
      `二维码图片宽度 ${sizePx} 像素不足以容纳 ${modules + 2 * margin} 个模块`,
    );
  }
  return monochromePng(symbol.modules, margin, scale);
}

const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex');

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** The symbol as a 1-bit greyscale PNG (0 = black module, 1 = white), `scale` pixels a module. */
function monochromePng(matrix: QRCode.BitMatrix, margin: number, scale: number): Buffer {
  const size = matrix.size;
  const side = (size + 2 * margin) * scale;
  const rowBytes = 1 + Math.ceil(side / 8);
  const raw = Buffer.alloc(rowBytes * side);
  for (let y = 0; y < side; y++) {
    const row = raw.subarray(y * rowBytes, (y + 1) * rowBytes);
    if (y % scale !== 0) {
      // The same pixels as the row above: filter 2 (Up) with all-zero differences.
      row[0] = 2;
      continue;
    }
    row.fill(0xff, 1); // white; filter byte 0 (None)
    const my = Math.floor(y / scale) - margin;
    if (my < 0 || my >= size) continue;
    for (let mx = 0; mx < size; mx++) {
      if (!matrix.get(my, mx)) continue;
      const from = (mx + margin) * scale;
      for (let x = from; x < from + scale; x++) row[1 + (x >> 3)]! &= ~(0x80 >> (x & 7));
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, filter method 0, no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** SVG with a viewBox in modules, for vector placement (scale it to the print size). */
export async function qrSvg(text: string, options: Omit<QrImageOptions, 'sizePx'> = {}): Promise<string> {
  const { margin = DEFAULT_MARGIN, errorCorrection = DEFAULT_EC } = options;
  checkMargin(margin);
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: errorCorrection, margin });
}

/** Recent symbols: a document asks for the same text's symbol several times (size, image). */
const symbols = new Map<string, QRCode.QRCode>();
const MAX_CACHED_SYMBOLS = 8;

/** The encoded symbol (mask selection is the costly part: ≈ 10 ms for a document's payload). */
function create(text: string, errorCorrection: QrErrorCorrection): QRCode.QRCode {
  const key = `${errorCorrection}:${text}`;
  const cached = symbols.get(key);
  if (cached) return cached;
  let symbol: QRCode.QRCode;
  try {
    symbol = QRCode.create(text, { errorCorrectionLevel: errorCorrection });
  } catch (cause) {
    throw new AppError('VALIDATION_FAILED', '二维码内容过长或无法编码', { cause });
  }
  if (symbols.size >= MAX_CACHED_SYMBOLS) symbols.delete(symbols.keys().next().value!);
  symbols.set(key, symbol);
  return symbol;
}

function checkMargin(margin: number): void {
  if (!Number.isInteger(margin) || margin < 0 || margin > 16) {
    throw new AppError('VALIDATION_FAILED', '二维码静区应为 0 至 16 个模块');
  }
}
