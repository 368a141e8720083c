import {
  decodePDFRawStream,
  ParseSpeeds,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  type PDFObject,
  PDFRawStream,
  PDFString,
} from 'pdf-lib';
import { sm3 } from '../../crypto/sm3.ts';
import type { ParsedCertificate } from '../../crypto/x509.ts';
import { type OfdSignerInfo, signerInfo } from '../ofd/verify-ofd.ts';
import { type ParsedSesSignature, type SesFailureReason, verifySesSignature } from '../seal/ses.ts';
import {
  PDF_SIGNATURE_FIELD,
  PDF_SIGNATURE_FILTER,
  PDF_SIGNATURE_SUBFILTER,
  STANDARD_INFO_KEYS,
} from './write-pdf.ts';

/**
 * Verifies a PDF sealed by `buildSignedPdf` (one GB/T 38540 signature). Never throws.
 *
 * The order matters for hostile input: first the raw bytes are checked (the `/ByteRange`
 * covers the whole file except exactly the `/Contents` hex string, nothing is appended)
 * and the SES signature is verified over SM3 of those bytes, chained to a trusted root.
 * Only a file whose every byte our trusted signer signed is then parsed as a PDF (pdf-lib)
 * to read the signature dictionary, metadata and embedded data; a forged file never
 * reaches the PDF parser or its stream decoders.
 *
 * Failure codes (a closed list):
 * - `PDF_MALFORMED`: not a PDF, larger than `maxBytes`, or not readable as a PDF.
 * - `NOT_SIGNED`: no `/ByteRange` signature in the file.
 * - `SIGNATURE_COUNT_UNSUPPORTED`: more than one signature (not produced by roadcert).
 * - `BYTE_RANGE_INVALID`: `/ByteRange` is not `[0 a b c]` with the gap being exactly the
 *   `/Contents` hex string and the end at the end of the file, or it overlaps, or it
 *   reaches past the end (a truncated file).
 * - `UNSIGNED_CONTENT`: bytes after the signed range (e.g. an incremental update).
 * - `DOCUMENT_CHANGED`: SM3 of the signed range differs from the signed dataHash.
 * - `UNSUPPORTED_SIGNATURE_TYPE`: `/Filter` or `/SubFilter` is not ours, or the signature
 *   dictionary is not the signature field's value.
 * - `PROPERTY_INFO_MISMATCH`: the signed propertyInfo is not the signature field's name.
 * - `SIGNATURE_TIME_MISMATCH`: `/M` is not the signed timeInfo.
 * - `SIGNED_DATA_MISSING`: no single embedded file with the certificate's signed data.
 * - the `verifySesSignature` reasons (`MALFORMED` also for a `/Contents` that is not one DER
 *   SES_Signature followed by zero padding), except `DATA_HASH_MISMATCH`, reported as
 *   `DOCUMENT_CHANGED`.
 *
 * `signer`, `customData`, `signedData` and `attachment` are returned only when the document
 * verifies.
 */

export type PdfFailureCode =
  | 'PDF_MALFORMED'
  | 'NOT_SIGNED'
  | 'SIGNATURE_COUNT_UNSUPPORTED'
  | 'BYTE_RANGE_INVALID'
  | 'UNSIGNED_CONTENT'
  | 'DOCUMENT_CHANGED'
  | 'UNSUPPORTED_SIGNATURE_TYPE'
  | 'PROPERTY_INFO_MISMATCH'
  | 'SIGNATURE_TIME_MISMATCH'
  | 'SIGNED_DATA_MISSING'
  | Exclude<SesFailureReason, 'DATA_HASH_MISMATCH'>;

export interface PdfFailure {
  readonly code: PdfFailureCode;
  /** Chinese, for people. */
  readonly message: string;
  /** Where in the file: a PDF key or a byte offset, when there is one. */
  readonly path?: string;
}

/** How the embedded signed data is labelled in the file. */
export interface PdfAttachmentInfo {
  readonly name: string;
  readonly mimeType: string | undefined;
  readonly description: string | undefined;
}

export interface PdfVerdict {
  readonly ok: boolean;
  readonly failures: readonly PdfFailure[];
  readonly signer?: OfdSignerInfo;
  /** Custom entries of the document information dictionary (certificate metadata). */
  readonly customData?: Record<string, string>;
  /** The embedded file's bytes: the certificate's signed data. */
  readonly signedData?: Buffer;
  readonly attachment?: PdfAttachmentInfo;
}

export interface VerifyPdfOptions {
  readonly trustedRoots: readonly (ParsedCertificate | Uint8Array | string)[];
  /** Largest file accepted; `MAX_PDF_BYTES` by default. */
  readonly maxBytes?: number;
}

/** 64 MiB: a certificate document is well under 1 MiB. */
export const MAX_PDF_BYTES = 64 * 1024 * 1024;

class Stop extends Error {
  constructor(readonly failure: PdfFailure) {
    super(failure.message);
  }
}

const stop = (code: PdfFailureCode, message: string, path?: string): never => {
  throw new Stop(path === undefined ? { code, message } : { code, message, path });
};

export async function verifyPdf(bytes: Uint8Array, options: VerifyPdfOptions): Promise<PdfVerdict> {
  try {
    return await check(bytes, options);
  } catch (cause) {
    if (cause instanceof Stop) return { ok: false, failures: [cause.failure] };
    const detail = cause instanceof Error ? cause.message : String(cause);
    return { ok: false, failures: [{ code: 'PDF_MALFORMED', message: `无法解析 PDF 文档：${detail}` }] };
  }
}

const HEX = /^[0-9A-Fa-f]*$/;

/** Offsets of every `needle` in `text`. */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) found.push(at);
  return found;
}

/** The DER SES_Signature at the start of `value`; what follows must be zero padding. */
function unpad(value: Buffer): Buffer {
  const bad = () => stop('MALFORMED', '签名值不是 GB/T 38540 电子签章（SES_Signature）', '/Contents');
  if (value.length < 2 || value[0] !== 0x30) return bad();
  let length = value[1]!;
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n < 1 || n > 4 || value.length < 2 + n) return bad();
    length = value.readUIntBE(2, n);
    header = 2 + n;
  }
  const end = header + length;
  if (end > value.length) return bad();
  if (value.subarray(end).some((b) => b !== 0)) {
    stop('MALFORMED', '签名值之后的填充不全为零（签名值区域被改动）', '/Contents');
  }
  return value.subarray(0, end);
}

async function check(input: Uint8Array, options: VerifyPdfOptions): Promise<PdfVerdict> {
  if (!(input instanceof Uint8Array)) stop('PDF_MALFORMED', 'PDF 文档应为字节数据');
  const max = options?.maxBytes ?? MAX_PDF_BYTES;
  if (input.length > max) stop('PDF_MALFORMED', `PDF 文档大小 ${input.length} 字节，超过上限 ${max} 字节`);
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.length);
  const text = bytes.toString('latin1');
  if (!text.startsWith('%PDF-')) stop('PDF_MALFORMED', '不是 PDF 文档（缺少 %PDF- 文件头）');

  // ---- 1. the signed range, from the raw bytes
  const ranges = occurrences(text, '/ByteRange');
  if (ranges.length === 0) stop('NOT_SIGNED', 'PDF 文档没有签章');
  if (ranges.length > 1)
    stop('SIGNATURE_COUNT_UNSUPPORTED', `文档有 ${ranges.length} 个签名范围，目前只支持一个`);
  const match = /^\/ByteRange\s*\[\s*(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s*\]/.exec(
    text.slice(ranges[0], ranges[0]! + 100),
  );
  if (!match) return stop('BYTE_RANGE_INVALID', '/ByteRange 应为四个非负整数', '/ByteRange');
  const [a, b, c, d] = match.slice(1).map(Number) as [number, number, number, number];
  if (a !== 0 || b <= 0 || c <= b + 1) {
    stop(
      'BYTE_RANGE_INVALID',
      `签名范围 [${a} ${b} ${c} ${d}] 应从文件开头起、中间只留出签名值`,
      '/ByteRange',
    );
  }
  if (c + d > bytes.length) {
    stop('BYTE_RANGE_INVALID', `签名范围超出文件末尾（文件可能被截断）`, '/ByteRange');
  }
  if (text[b] !== '<' || text[c - 1] !== '>' || !/\/Contents\s*$/.test(text.slice(Math.max(0, b - 20), b))) {
    stop('BYTE_RANGE_INVALID', '签名范围留出的部分不是签名值 /Contents 的十六进制串', '/ByteRange');
  }
  const hex = text.slice(b + 1, c - 1);
  if (hex.length % 2 !== 0 || !HEX.test(hex)) {
    stop('BYTE_RANGE_INVALID', '签名值 /Contents 不是完整的十六进制串', '/Contents');
  }
  if (c + d < bytes.length) {
    stop(
      'UNSIGNED_CONTENT',
      `签名范围之后还有 ${bytes.length - c - d} 字节未签名的内容（可能是签章后追加的修改）`,
      `@${c + d}`,
    );
  }

  // ---- 2. the SES signature over SM3 of the signed range
  const der = unpad(Buffer.from(hex, 'hex'));
  const ses = verifySesSignature(der, {
    dataHash: sm3(Buffer.concat([bytes.subarray(0, b), bytes.subarray(c, c + d)])),
    trustedRoots: options?.trustedRoots ?? [],
  });
  if (!ses.ok) {
    return {
      ok: false,
      failures: [
        ses.reason === 'DATA_HASH_MISMATCH'
          ? { code: 'DOCUMENT_CHANGED', message: 'PDF 文档在签章后被修改（签名范围的 SM3 杂凑值不符）' }
          : { code: ses.reason, message: `电子签章验证未通过：${ses.detail}`, path: '/Contents' },
      ],
    };
  }

  // ---- 3. every byte is the trusted signer's: now read it as a PDF
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, {
      updateMetadata: false,
      throwOnInvalidObject: true,
      parseSpeed: ParseSpeeds.Fastest,
    });
  } catch (cause) {
    return stop(
      'PDF_MALFORMED',
      `无法解析 PDF 文档：${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  return readSigned(doc, ses.signature, hex);
}

function lookupDict(parent: PDFDict | undefined, key: string): PDFDict | undefined {
  const value = parent?.lookup(PDFName.of(key));
  return value instanceof PDFDict ? value : undefined;
}

function textOf(value: PDFObject | undefined): string | undefined {
  if (value instanceof PDFString || value instanceof PDFHexString) return value.decodeText();
  return undefined;
}

function nameOf(value: PDFObject | undefined): string | undefined {
  return value instanceof PDFName ? value.decodeText() : undefined;
}

function readSigned(doc: PDFDocument, parsed: ParsedSesSignature, contentsHex: string): PdfVerdict {
  const failures: PdfFailure[] = [];
  const acroForm = lookupDict(doc.catalog, 'AcroForm');
  const fields = acroForm?.lookup(PDFName.of('Fields'));
  const signatureFields: PDFDict[] = [];
  if (fields instanceof PDFArray) {
    for (let i = 0; i < fields.size(); i++) {
      const field = fields.lookup(i);
      if (field instanceof PDFDict && nameOf(field.lookup(PDFName.of('FT'))) === 'Sig')
        signatureFields.push(field);
    }
  }
  if (signatureFields.length !== 1) {
    stop(
      'UNSUPPORTED_SIGNATURE_TYPE',
      `文档应有且只有一个签名域，实有 ${signatureFields.length} 个`,
      '/AcroForm',
    );
  }
  const field = signatureFields[0]!;
  const value = lookupDict(field, 'V');
  const contents = value?.lookup(PDFName.of('Contents'));
  if (
    !value ||
    !(contents instanceof PDFHexString) ||
    contents.asString().toUpperCase() !== contentsHex.toUpperCase()
  ) {
    stop('UNSUPPORTED_SIGNATURE_TYPE', '签名域的值不是被验证的签名字典', '/AcroForm');
  }
  const filter = nameOf(value!.lookup(PDFName.of('Filter')));
  const subFilter = nameOf(value!.lookup(PDFName.of('SubFilter')));
  if (filter !== PDF_SIGNATURE_FILTER || subFilter !== PDF_SIGNATURE_SUBFILTER) {
    failures.push({
      code: 'UNSUPPORTED_SIGNATURE_TYPE',
      message: `签名类型 ${filter ?? '（缺失）'} / ${subFilter ?? '（缺失）'} 不是 GB/T 38540 电子签章`,
      path: '/Filter',
    });
  }
  const fieldName = textOf(field.lookup(PDFName.of('T')));
  if (parsed.propertyInfo !== fieldName || fieldName !== PDF_SIGNATURE_FIELD) {
    failures.push({
      code: 'PROPERTY_INFO_MISMATCH',
      message: `签章属性 ${parsed.propertyInfo} 与签名域名称 ${fieldName ?? '（缺失）'} 不符`,
      path: '/T',
    });
  }
  const m = textOf(value!.lookup(PDFName.of('M')));
  if (m === undefined || parsePdfDate(m) !== parsed.timeInfo.getTime()) {
    failures.push({
      code: 'SIGNATURE_TIME_MISMATCH',
      message: `签名时间 /M（${m ?? '缺失'}）与签章时间不一致`,
      path: '/M',
    });
  }
  const signedData = readAttachment(doc);
  if (!signedData) {
    failures.push({
      code: 'SIGNED_DATA_MISSING',
      message: '文档中没有嵌入证照的签名数据',
      path: '/EmbeddedFiles',
    });
  }
  if (failures.length > 0) return { ok: false, failures };

  return {
    ok: true,
    failures,
    signer: signerInfo(parsed),
    customData: readCustomData(doc),
    signedData: signedData!.bytes,
    attachment: signedData!.info,
  };
}

/** `D:YYYYMMDDHHmmSSZ` (what the writer puts) → epoch ms; NaN for anything else. */
function parsePdfDate(value: string): number {
  const m = /^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:Z|Z00'00'?|\+00'00'?)?$/.exec(value);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function readCustomData(doc: PDFDocument): Record<string, string> {
  const info = doc.context.lookup(doc.context.trailerInfo.Info);
  const out = new Map<string, string>();
  if (info instanceof PDFDict) {
    for (const [key, value] of info.entries()) {
      const name = Buffer.from(key.decodeText(), 'latin1').toString('utf8');
      const text = textOf(value instanceof PDFName ? undefined : doc.context.lookup(value));
      if (STANDARD_INFO_KEYS.has(name) || text === undefined) continue;
      out.set(name, text);
    }
  }
  // fromEntries defines own properties, so a name such as `__proto__` is kept as data.
  return Object.fromEntries([...out].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function readAttachment(doc: PDFDocument): { bytes: Buffer; info: PdfAttachmentInfo } | undefined {
  const embedded = lookupDict(lookupDict(doc.catalog, 'Names'), 'EmbeddedFiles');
  const names = embedded?.lookup(PDFName.of('Names'));
  if (!(names instanceof PDFArray) || names.size() !== 2) return undefined;
  const fileSpec = names.lookup(1);
  if (!(fileSpec instanceof PDFDict)) return undefined;
  const stream = lookupDict(fileSpec, 'EF')?.lookup(PDFName.of('F'));
  if (!(stream instanceof PDFRawStream)) return undefined;
  const bytes = Buffer.from(decodePDFRawStream(stream).decode());
  const size = lookupDict(stream.dict, 'Params')?.lookup(PDFName.of('Size'));
  if (size instanceof PDFNumber && size.asNumber() !== bytes.length) return undefined;
  const subtype = nameOf(stream.dict.lookup(PDFName.of('Subtype')));
  return {
    bytes,
    info: {
      name: textOf(fileSpec.lookup(PDFName.of('UF'))) ?? textOf(fileSpec.lookup(PDFName.of('F'))) ?? '',
      mimeType: subtype,
      description: textOf(fileSpec.lookup(PDFName.of('Desc'))),
    },
  };
}
