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
 */
export async function qrPng(text: string, options: QrImageOptions = {}): Promise<Buffer> {
  const { sizePx = DEFAULT_SIZE_PX, margin = DEFAULT_MARGIN, errorCorrection = DEFAULT_EC } = options;
  checkMargin(margin);
  const { modules } = qrSymbolInfo(text, errorCorrection);
  const scale = Math.floor(sizePx / (modules + 2 * margin));
  if (!Number.isInteger(sizePx) || scale < 1) {
    throw new AppError(
      'VALIDATION_FAILED',
      `二维码图片宽度 ${sizePx} 像素不足以容纳 ${modules + 2 * margin} 个模块`,
    );
  }
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: errorCorrection, margin, scale });
}

/** SVG with a viewBox in modules, for vector placement (scale it to the print size). */
export async function qrSvg(text: string, options: Omit<QrImageOptions, 'sizePx'> = {}): Promise<string> {
  const { margin = DEFAULT_MARGIN, errorCorrection = DEFAULT_EC } = options;
  checkMargin(margin);
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: errorCorrection, margin });
}

function create(text: string, errorCorrection: QrErrorCorrection): QRCode.QRCode {
  try {
    return QRCode.create(text, { errorCorrectionLevel: errorCorrection });
  } catch (cause) {
    throw new AppError('VALIDATION_FAILED', '二维码内容过长或无法编码', { cause });
  }
}

function checkMargin(margin: number): void {
  if (!Number.isInteger(margin) || margin < 0 || margin > 16) {
    throw new AppError('VALIDATION_FAILED', '二维码静区应为 0 至 16 个模块');
  }
}
