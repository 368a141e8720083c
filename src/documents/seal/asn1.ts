import { DER_TAG, encodeTlv, encodeUnsignedInteger, expectTlv, type Tlv } from '../../crypto/der.ts';
import { AppError } from '../../errors.ts';

/**
 * The DER primitives GB/T 38540 needs beyond `crypto/der.ts`: strings, GeneralizedTime,
 * OIDs and a cursor over a SEQUENCE. Decoding is strict (DER only, nothing left over), so a
 * structure has one encoding and the bytes that were signed are the bytes that were read.
 */

export const TAG = {
  ...DER_TAG,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  IA5_STRING: 0x16,
  GENERALIZED_TIME: 0x18,
  CONTEXT_0: 0xa0,
} as const;

export function malformed(what: string): AppError {
  return new AppError('CRYPTO_INVALID_INPUT', `电子印章结构不正确：${what}`);
}

export const seq = (...items: Uint8Array[]): Buffer => encodeTlv(TAG.SEQUENCE, Buffer.concat(items));
export const octets = (bytes: Uint8Array): Buffer => encodeTlv(TAG.OCTET_STRING, bytes);
export const bits = (bytes: Uint8Array): Buffer =>
  encodeTlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), bytes]));
export const int = (value: number): Buffer => encodeUnsignedInteger(BigInt(value));
export const utf8 = (s: string): Buffer => encodeTlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));

export function ia5(s: string, what: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5 is exactly 0x00–0x7f
  if (!/^[\x00-\x7f]*$/.test(s)) throw new AppError('CRYPTO_INVALID_INPUT', `${what}只能含 ASCII 字符`);
  return encodeTlv(TAG.IA5_STRING, Buffer.from(s, 'ascii'));
}

/** DER GeneralizedTime `YYYYMMDDHHMMSSZ`; milliseconds are dropped (truncated). */
export function generalizedTime(date: Date, what: string): Buffer {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new AppError('CRYPTO_INVALID_INPUT', `${what}不是有效日期`);
  }
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) throw new AppError('CRYPTO_INVALID_INPUT', `${what}超出可编码的年份`);
  const p = (v: number, w = 2) => String(v).padStart(w, '0');
  const s = `${p(year, 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
  return encodeTlv(TAG.GENERALIZED_TIME, Buffer.from(s, 'ascii'));
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new AppError('CRYPTO_INVALID_INPUT', `对象标识符 ${dotted} 不正确`);
  const out: number[] = [];
  const push = (v: bigint) => {
    const chunk = [Number(v & 0x7fn)];
    for (let r = v >> 7n; r > 0n; r >>= 7n) chunk.unshift(Number((r & 0x7fn) | 0x80n));
    out.push(...chunk);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return encodeTlv(TAG.OID, Buffer.from(out));
}

/** Reads the items of one SEQUENCE in order; `done()` refuses anything left over. */
export class Reader {
  readonly #buf: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buf: Buffer, tlv: Tlv) {
    this.#buf = buf;
    this.#pos = tlv.contentStart;
    this.#end = tlv.end;
  }

  /** The whole outer SEQUENCE of `buf`, with nothing after it. */
  static top(buf: Buffer, what: string): { reader: Reader; tlv: Tlv } {
    const tlv = expectTlv(buf, 0, TAG.SEQUENCE, what);
    if (tlv.end !== buf.length) throw malformed(`${what} 之后有多余数据`);
    return { reader: new Reader(buf, tlv), tlv };
  }

  get atEnd(): boolean {
    return this.#pos >= this.#end;
  }

  peekTag(): number | undefined {
    return this.atEnd ? undefined : this.#buf[this.#pos];
  }

  tlv(tag: number, what: string): Tlv {
    if (this.atEnd) throw malformed(`缺少 ${what}`);
    const t = expectTlv(this.#buf, this.#pos, tag, what, this.#end);
    this.#pos = t.end;
    return t;
  }

  /** Exact encoded bytes (tag, length and content) of the next item. */
  raw(tag: number, what: string): Buffer {
    const t = this.tlv(tag, what);
    return this.#buf.subarray(t.start, t.end);
  }

  content(tag: number, what: string): Buffer {
    const t = this.tlv(tag, what);
    return this.#buf.subarray(t.contentStart, t.end);
  }

  sequence(what: string): Reader {
    return new Reader(this.#buf, this.tlv(TAG.SEQUENCE, what));
  }

  int(what: string): number {
    const c = this.content(TAG.INTEGER, what);
    if (c.length === 0 || c.length > 6) throw malformed(`${what} 不是合理的整数`);
    if (c.length > 1 && ((c[0] === 0 && !(c[1]! & 0x80)) || (c[0] === 0xff && c[1]! & 0x80))) {
      throw malformed(`${what} 不是最短编码`);
    }
    return c.readIntBE(0, c.length);
  }

  ia5(what: string): string {
    const c = this.content(TAG.IA5_STRING, what);
    if (c.some((b) => b > 0x7f)) throw malformed(`${what} 含有非 ASCII 字节`);
    return c.toString('ascii');
  }

  utf8(what: string): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.content(TAG.UTF8_STRING, what));
    } catch (cause) {
      if (cause instanceof AppError) throw cause;
      throw malformed(`${what} 不是合法的 UTF-8`);
    }
  }

  octets(what: string): Buffer {
    return this.content(TAG.OCTET_STRING, what);
  }

  /** A BIT STRING of whole bytes (unused-bits byte 0), as signatures and hashes are. */
  bits(what: string): Buffer {
    const c = this.content(TAG.BIT_STRING, what);
    if (c.length < 1 || c[0] !== 0) throw malformed(`${what} 不是整字节的 BIT STRING`);
    return c.subarray(1);
  }

  /** DER GeneralizedTime: `YYYYMMDDHHMMSS[.fff]Z`, fraction without trailing zeros. */
  time(what: string): Date {
    const s = this.content(TAG.GENERALIZED_TIME, what).toString('latin1');
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(s);
    if (!m) throw malformed(`${what} 不是 DER GeneralizedTime`);
    const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se, ms));
    date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
    if (
      date.getUTCMonth() !== mo - 1 ||
      date.getUTCDate() !== d ||
      date.getUTCHours() !== h ||
      date.getUTCMinutes() !== mi ||
      date.getUTCSeconds() !== se
    ) {
      throw malformed(`${what} 的日期或时间超出范围`);
    }
    return date;
  }

  oid(what: string): string {
    const c = this.content(TAG.OID, what);
    if (c.length === 0 || c[c.length - 1]! & 0x80) throw malformed(`${what} 不是合法的对象标识符`);
    const arcs: bigint[] = [];
    let v = 0n;
    let first = true;
    for (const b of c) {
      if (first && b === 0x80) throw malformed(`${what} 不是最短编码`);
      first = false;
      v = (v << 7n) | BigInt(b & 0x7f);
      if (!(b & 0x80)) {
        arcs.push(v);
        v = 0n;
        first = true;
      }
    }
    const head = arcs[0]!;
    const [a, b] = head < 80n ? [head / 40n, head % 40n] : [2n, head - 80n];
    return [a, b, ...arcs.slice(1)].join('.');
  }

  done(what: string): void {
    if (!this.atEnd) throw malformed(`${what} 含有未知的多余字段`);
  }
}
