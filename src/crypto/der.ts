import { AppError } from '../errors.ts';

/**
 * The few strict DER primitives the crypto layer needs by hand: the SM2 signature
 * `SEQUENCE { r INTEGER, s INTEGER }` and slicing a certificate's exact TBS bytes.
 * Strict means minimal lengths and minimal integers: a signature has one valid encoding,
 * so a re-encoded (malleated) signature is refused rather than silently accepted.
 */

export const DER_TAG = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, SEQUENCE: 0x30 } as const;

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
}

function invalid(what: string): AppError {
  return new AppError('CRYPTO_INVALID_INPUT', `DER 编码不正确：${what}`);
}

/** Reads one TLV at `offset`. Only single-byte tags (all this layer meets) are accepted. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw invalid('数据被截断');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw invalid('不支持多字节标签');
  let pos = offset + 1;
  const first = buf[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite length; more than 4 length bytes is never a sane size here.
    if (count === 0 || count > 4) throw invalid('长度字段不合法');
    if (pos + count > limit) throw invalid('数据被截断');
    if (buf[pos] === 0) throw invalid('长度字段不是最短编码');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
    if (length < 0x80) throw invalid('长度字段不是最短编码');
  }
  const end = pos + length;
  if (end > limit) throw invalid('数据被截断');
  return { tag, start: offset, contentStart: pos, end };
}

/** Reads a TLV that must have `tag`. */
export function expectTlv(
  buf: Uint8Array,
  offset: number,
  tag: number,
  what: string,
  limit = buf.length,
): Tlv {
  const tlv = readTlv(buf, offset, limit);
  if (tlv.tag !== tag) throw invalid(`${what} 的类型不符`);
  return tlv;
}

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** DER INTEGER of a non-negative value: minimal bytes, with a 0x00 when the top bit is set. */
export function encodeUnsignedInteger(value: bigint): Buffer {
  if (value < 0n) throw new AppError('CRYPTO_INVALID_INPUT', '整数不能为负');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return encodeTlv(DER_TAG.INTEGER, bytes);
}

/** Content of a DER INTEGER that must be positive and minimally encoded. */
export function decodeUnsignedInteger(buf: Uint8Array, tlv: Tlv): bigint {
  const content = buf.subarray(tlv.contentStart, tlv.end);
  if (content.length === 0) throw invalid('整数为空');
  if (content[0]! & 0x80) throw invalid('整数为负');
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) throw invalid('整数不是最短编码');
  return BigInt(`0x${Buffer.from(content).toString('hex')}`);
}

export function bigintToFixedBytes(value: bigint, length: number): Buffer {
  const hex = value.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new AppError('CRYPTO_INVALID_INPUT', `整数超过 ${length} 字节`);
  return Buffer.from(hex, 'hex');
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}
