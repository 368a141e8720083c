/**
 * The two codes an officer scans, read and checked in the browser with public material only:
 * the 亮证 token (format 2, read by src/domain/show-token-layout.ts, which the server uses too)
 * and the document QR (format 1, src/documents/qr/payload.ts, mirrored here byte for byte);
 * the browser test checks a live server's codes through them.
 */
import { sm2 } from 'sm-crypto-v2';
import { mod3736CheckChar } from '../../../../src/domain/checkdigits.ts';
import { IDENTIFIER_PREFIX, parseIdentifier } from '../../../../src/domain/identifiers.ts';
import { readShowToken } from '../../../../src/domain/show-token-layout.ts';
import { fromBase64Url, hex, toBase64Url } from './bytes.ts';
import type { SealCertificate } from './x509.ts';

export type CodeRefusal = 'MALFORMED' | 'UNKNOWN_SEAL' | 'SIGNATURE_INVALID' | 'SEAL_OUTSIDE_VALIDITY';

export interface TokenClaims {
  identifier: string;
  version: number;
  statusCode: string;
  issuedAt: Date;
  expiresAt: Date;
  nonce: string;
  kindCode: string;
  holderName: string;
  certificateNumber: string;
}

export interface DocumentClaims {
  identifier: string;
  version: number;
  digest: string;
  issuedAt: Date;
}

export type CodeCheck =
  | { ok: true; type: 'token'; claims: TokenClaims; seal: SealCertificate }
  | { ok: true; type: 'document'; claims: DocumentClaims; seal: SealCertificate }
  | { ok: false; type: 'token' | 'document' | 'unknown'; reason: CodeRefusal };

const SIGNATURE_LENGTH = 64;

/** Signature (SM2, default ID) over `signed`, raw r‖s, under a seal from the trust list. */
function signedBy(seal: SealCertificate, signed: Uint8Array, raw: Uint8Array): boolean {
  try {
    return sm2.doVerifySignature(signed, hex(raw), seal.publicKeyHex, { hash: true });
  } catch {
    return false;
  }
}

function within(seal: SealCertificate, at: Date): boolean {
  return at.getTime() >= seal.notBefore.getTime() && at.getTime() <= seal.notAfter.getTime();
}

export function looksLikeToken(text: string): boolean {
  return text.length <= 1024 && /^[A-Za-z0-9_-]+$/.test(text) && text.startsWith('A');
}

function checkToken(text: string, seals: SealCertificate[]): CodeCheck {
  const bytes = fromBase64Url(text);
  const token = toBase64Url(bytes) === text ? readShowToken(bytes) : null;
  if (!token) return { ok: false, type: 'token', reason: 'MALFORMED' };
  const seal = seals.find((s) => s.fingerprint === token.sealFingerprintHex);
  if (!seal) return { ok: false, type: 'token', reason: 'UNKNOWN_SEAL' };
  if (!signedBy(seal, token.signed, token.signature)) {
    return { ok: false, type: 'token', reason: 'SIGNATURE_INVALID' };
  }
  const issuedAt = new Date(token.issuedAtSeconds * 1000);
  if (!within(seal, issuedAt)) return { ok: false, type: 'token', reason: 'SEAL_OUTSIDE_VALIDITY' };
  return {
    ok: true,
    type: 'token',
    seal,
    claims: {
      identifier: token.identifier,
      version: token.version,
      statusCode: String(token.status).padStart(2, '0'),
      issuedAt,
      expiresAt: new Date((token.issuedAtSeconds + token.lifetimeSeconds) * 1000),
      nonce: token.nonceHex,
      kindCode: token.kindCode,
      holderName: token.holderName,
      certificateNumber: token.certificateNumber,
    },
  };
}

const BODY_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.';
const BASE = 37n;
const BODY_SHAPE = /^[0-9A-Z]{21}\.[0-9A-Z]+\.[0-9A-Z]+\.\d{3}$/;
const DOCUMENT_TEXT = /^(https:\/\/[^\s#?]+)\/v#([1-9][0-9]*)$/;

function packedLength(n: number): number {
  return Math.ceil((BASE ** BigInt(n) - 1n).toString(16).length / 2);
}

function checkDocument(text: string, seals: SealCertificate[]): CodeCheck {
  const m = text.length <= 1024 ? DOCUMENT_TEXT.exec(text) : null;
  if (!m) return { ok: false, type: 'document', reason: 'MALFORMED' };
  let h = BigInt(m[2]!).toString(16);
  if (h.length % 2) h = `0${h}`;
  const bytes = new Uint8Array(h.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16);
  const n = bytes[1];
  if (bytes[0] !== 1 || !n) return { ok: false, type: 'document', reason: 'MALFORMED' };
  const idLength = packedLength(n);
  if (bytes.length !== 2 + idLength + 32 + 4 + 8 + SIGNATURE_LENGTH) {
    return { ok: false, type: 'document', reason: 'MALFORMED' };
  }
  let value = BigInt(`0x${hex(bytes.subarray(2, 2 + idLength)) || '0'}`);
  if (value >= BASE ** BigInt(n)) return { ok: false, type: 'document', reason: 'MALFORMED' };
  const chars: string[] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    chars[i] = BODY_ALPHABET[Number(value % BASE)]!;
    value /= BASE;
  }
  const body = chars.join('');
  if (!BODY_SHAPE.test(body)) return { ok: false, type: 'document', reason: 'MALFORMED' };
  const identifier = `${IDENTIFIER_PREFIX}${body}.${mod3736CheckChar(body.replaceAll('.', ''))}`;
  let offset = 2 + idLength;
  const digest = hex(bytes.subarray(offset, offset + 32));
  offset += 32;
  const seconds = bytes.subarray(offset, offset + 4).reduce((v, b) => v * 256 + b, 0);
  offset += 4;
  const fingerprint = hex(bytes.subarray(offset, offset + 8));
  offset += 8;
  const seal = seals.find((s) => s.fingerprint === fingerprint);
  if (!seal) return { ok: false, type: 'document', reason: 'UNKNOWN_SEAL' };
  if (!signedBy(seal, bytes.subarray(0, offset), bytes.subarray(offset))) {
    return { ok: false, type: 'document', reason: 'SIGNATURE_INVALID' };
  }
  const issuedAt = new Date(seconds * 1000);
  if (!within(seal, issuedAt)) return { ok: false, type: 'document', reason: 'SEAL_OUTSIDE_VALIDITY' };
  return {
    ok: true,
    type: 'document',
    seal,
    claims: { identifier, version: parseIdentifier(identifier).version, digest, issuedAt },
  };
}

/** Reads and checks a scanned text. Never throws. */
export function checkCode(text: string, seals: SealCertificate[]): CodeCheck {
  const code = text.trim();
  try {
    if (looksLikeToken(code)) return checkToken(code, seals);
    if (code.startsWith('https://')) return checkDocument(code, seals);
  } catch {
    return { ok: false, type: looksLikeToken(code) ? 'token' : 'unknown', reason: 'MALFORMED' };
  }
  return { ok: false, type: 'unknown', reason: 'MALFORMED' };
}
