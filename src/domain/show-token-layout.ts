/**
 * The 亮证 token's bytes, read the same way by the server (src/services/verification/show-token.ts,
 * which also writes them) and by the officer's page offline (web/src/verify/offline/codes.ts).
 * Pure: Uint8Array and TextDecoder only, no Node APIs, so the browser bundle can import it.
 *
 * Binary layout, format 2 (the document QR payload is format 1, so neither passes as the other;
 * the seal key's other signed data start with `{` or 0x30):
 *
 *   off  len  field
 *   0    1    format (0x02)
 *   1    4    issued at, seconds since 1970 UTC, uint32 big-endian
 *   5    2    lifetime in seconds, uint16 (expiry = issued at + lifetime, ≤ 60)
 *   7    16   random nonce
 *   23   8    seal certificate fingerprint: SM3(certificate DER)[0..8]
 *   31   1    status code at signing (national table: 10, 01, 02, 03, 09), as a number
 *   32   1+n  identifier, ASCII (carries the version, repeated below for the reader)
 *   ..   2    version, uint16
 *   ..   1+n  kind code, ASCII
 *   ..   1+n  holder name, UTF-8, masked for persons
 *   ..   1+n  certificate number, UTF-8, masked when it is an ID number
 *   ..   64   SM2 signature (default ID) over all bytes above, raw r‖s
 *
 * Text form: base64url of the bytes (about 290 characters, QR byte mode). A base64url text
 * never matches the document QR's `https://…/v#digits` form.
 */
import { isValidIdentifier, parseIdentifier } from './identifiers.ts';

export const SHOW_TOKEN_FORMAT = 2;
export const SHOW_TOKEN_MAX_LIFETIME_SECONDS = 60;
export const SHOW_TOKEN_NONCE_LENGTH = 16;
export const SHOW_TOKEN_FINGERPRINT_LENGTH = 8;
export const SHOW_TOKEN_SIGNATURE_LENGTH = 64;

/** What a well-formed token's bytes say, before its signature is checked. */
export interface ShowTokenLayout {
  /** The bytes the signature covers, and the raw r‖s signature. */
  signed: Uint8Array;
  signature: Uint8Array;
  issuedAtSeconds: number;
  lifetimeSeconds: number;
  nonceHex: string;
  sealFingerprintHex: string;
  /** The status code at signing, as the number it is stored as (1 for "01"). */
  status: number;
  identifier: string;
  version: number;
  kindCode: string;
  holderName: string;
  certificateNumber: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const toHex = (bytes: Uint8Array): string => {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
};

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    private offset: number,
  ) {}
  take(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new Error('short');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uint(n: 2 | 4): number {
    return this.take(n).reduce((v, b) => v * 256 + b, 0);
  }
  /** A length-prefixed string: valid UTF-8, and printable ASCII where `ascii`. */
  string(ascii: boolean): string {
    const text = utf8.decode(this.take(this.take(1)[0]!));
    if (ascii && /[^\x20-\x7e]/.test(text)) throw new Error('not ascii');
    return text;
  }
  done(): boolean {
    return this.offset === this.bytes.length;
  }
}

/**
 * Reads a token's bytes: null unless they are exactly one format-2 token (every field present,
 * nothing after the signature, strings valid, lifetime 1–60 s, an identifier whose version is
 * the one repeated beside it). Never throws.
 */
export function readShowToken(bytes: Uint8Array): ShowTokenLayout | null {
  if (bytes.length < 32 + SHOW_TOKEN_SIGNATURE_LENGTH || bytes[0] !== SHOW_TOKEN_FORMAT) return null;
  const signed = bytes.subarray(0, bytes.length - SHOW_TOKEN_SIGNATURE_LENGTH);
  try {
    const r = new Reader(signed, 1);
    const issuedAtSeconds = r.uint(4);
    const lifetimeSeconds = r.uint(2);
    const nonceHex = toHex(r.take(SHOW_TOKEN_NONCE_LENGTH));
    const sealFingerprintHex = toHex(r.take(SHOW_TOKEN_FINGERPRINT_LENGTH));
    const status = r.take(1)[0]!;
    const identifier = r.string(true);
    const version = r.uint(2);
    const kindCode = r.string(true);
    const holderName = r.string(false);
    const certificateNumber = r.string(false);
    if (!r.done() || lifetimeSeconds < 1 || lifetimeSeconds > SHOW_TOKEN_MAX_LIFETIME_SECONDS) return null;
    if (!isValidIdentifier(identifier) || parseIdentifier(identifier).version !== version) return null;
    return {
      signed,
      signature: bytes.subarray(bytes.length - SHOW_TOKEN_SIGNATURE_LENGTH),
      issuedAtSeconds,
      lifetimeSeconds,
      nonceHex,
      sealFingerprintHex,
      status,
      identifier,
      version,
      kindCode,
      holderName,
      certificateNumber,
    };
  } catch {
    return null;
  }
}
