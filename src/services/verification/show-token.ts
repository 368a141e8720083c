/**
 * The 亮证 token: what the holder's phone shows as a QR code for an officer to scan. It lives
 * for at most 60 s and verifies once (its nonce is spent on the first check).
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
import { randomBytes } from 'node:crypto';
import { type Signer, verifySignature } from '../../crypto/signer.ts';
import { sm2SignatureFromRaw, sm2SignatureToRaw, sm2VerifyAsync } from '../../crypto/sm2.ts';
import { type ParsedCertificate, parseCertificate } from '../../crypto/x509.ts';
import { sealFingerprint } from '../../documents/qr/payload.ts';
import { isValidIdentifier, parseIdentifier } from '../../domain/identifiers.ts';

export const SHOW_TOKEN_FORMAT = 2;
export const SHOW_TOKEN_MAX_LIFETIME_SECONDS = 60;
const NONCE_LENGTH = 16;
const FINGERPRINT_LENGTH = 8;
const SIGNATURE_LENGTH = 64;
const MAX_TEXT_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface ShowTokenClaims {
  identifier: string;
  version: number;
  statusCode: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Hex. */
  nonce: string;
  kindCode: string;
  holderName: string;
  certificateNumber: string;
}

export type ShowTokenRefusal = 'MALFORMED' | 'UNKNOWN_SEAL' | 'SIGNATURE_INVALID' | 'SEAL_OUTSIDE_VALIDITY';

export type ShowTokenCheck =
  | { ok: true; claims: ShowTokenClaims; sealKeyId: string }
  | { ok: false; reason: ShowTokenRefusal; message: string };

export interface ShowTokenInput {
  identifier: string;
  statusCode: string;
  issuedAt: Date;
  lifetimeSeconds: number;
  kindCode: string;
  holderName: string;
  certificateNumber: string;
  /** PEM of the seal certificate whose key `signer` holds. */
  sealCertificate: string;
}

/** Signs a fresh token with a new nonce. */
export async function encodeShowToken(
  input: ShowTokenInput,
  signer: Signer,
): Promise<{ text: string; claims: ShowTokenClaims }> {
  if (!isValidIdentifier(input.identifier)) throw new Error('show token: invalid identifier');
  if (input.lifetimeSeconds < 1 || input.lifetimeSeconds > SHOW_TOKEN_MAX_LIFETIME_SECONDS) {
    throw new Error('show token: lifetime out of range');
  }
  const seconds = Math.floor(input.issuedAt.getTime() / 1000);
  const nonce = randomBytes(NONCE_LENGTH);
  const head = Buffer.alloc(7);
  head.writeUInt8(SHOW_TOKEN_FORMAT, 0);
  head.writeUInt32BE(seconds, 1);
  head.writeUInt16BE(input.lifetimeSeconds, 5);
  const version = Buffer.alloc(2);
  const parsedVersion = parseIdentifier(input.identifier).version;
  version.writeUInt16BE(parsedVersion);
  const signedBytes = Buffer.concat([
    head,
    nonce,
    sealFingerprintOf(input.sealCertificate),
    Buffer.from([Number(input.statusCode)]),
    field(input.identifier),
    version,
    field(input.kindCode),
    field(input.holderName),
    field(input.certificateNumber),
  ]);
  const signature = sm2SignatureToRaw(await signer.sign(signedBytes));
  const text = Buffer.concat([signedBytes, signature]).toString('base64url');
  return {
    text,
    claims: {
      identifier: input.identifier,
      version: parsedVersion,
      statusCode: input.statusCode,
      issuedAt: new Date(seconds * 1000),
      expiresAt: new Date((seconds + input.lifetimeSeconds) * 1000),
      nonce: nonce.toString('hex'),
      kindCode: input.kindCode,
      holderName: input.holderName,
      certificateNumber: input.certificateNumber,
    },
  };
}

/** Whether a scanned text has the token's shape at all (otherwise it may be a document QR). */
export function looksLikeShowToken(text: string): boolean {
  return text.length <= MAX_TEXT_LENGTH && BASE64URL.test(text) && text.startsWith('A');
}

/**
 * Structure, seal and signature, with public material only (so an officer's page can do the
 * same offline). Expiry, nonce reuse and current status are the caller's. Never throws.
 */
export function checkShowToken(
  text: string,
  sealCertificates: { keyId: string; pem: string }[],
): ShowTokenCheck {
  try {
    return checkOrThrow(text, sealCertificates, verifySignature);
  } catch {
    return malformed();
  }
}

/**
 * The same check with the SM2 verification on the libuv thread pool, so a busy server's main
 * thread only parses: an online check's largest single cost runs beside the HTTP work.
 */
export async function checkShowTokenAsync(
  text: string,
  sealCertificates: { keyId: string; pem: string }[],
): Promise<ShowTokenCheck> {
  const pending: { verified?: Promise<boolean> } = {};
  try {
    // The parse is synchronous; it hands the signature check out and takes the answer back below.
    const parsed = checkOrThrow(text, sealCertificates, (publicKey, data, signature) => {
      pending.verified = sm2VerifyAsync(publicKey, data, signature);
      return true;
    });
    if (!pending.verified) return parsed;
    // Judged in the same order as the synchronous check: a bad signature before the seal's dates.
    const signed = await pending.verified.catch(() => false);
    return signed ? parsed : signatureInvalid();
  } catch {
    pending.verified?.catch(() => undefined);
    return malformed();
  }
}

const signatureInvalid = (): ShowTokenCheck => ({
  ok: false,
  reason: 'SIGNATURE_INVALID',
  message: '亮证码签名验证未通过，内容可能被篡改',
});

function checkOrThrow(
  text: string,
  sealCertificates: { keyId: string; pem: string }[],
  verify: (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean,
): ShowTokenCheck {
  if (!looksLikeShowToken(text)) return malformed();
  const bytes = Buffer.from(text, 'base64url');
  // base64url is not canonical in its last character; refuse anything but the one encoding.
  if (bytes.toString('base64url') !== text) return malformed();
  if (bytes.length < 32 + SIGNATURE_LENGTH || bytes[0] !== SHOW_TOKEN_FORMAT) return malformed();
  const signedBytes = bytes.subarray(0, bytes.length - SIGNATURE_LENGTH);
  const reader = new Reader(signedBytes, 1);
  const seconds = reader.uint32();
  const lifetime = reader.uint16();
  const nonce = reader.take(NONCE_LENGTH).toString('hex');
  const fingerprint = reader.take(FINGERPRINT_LENGTH).toString('hex');
  const status = reader.take(1)[0]!;
  const identifier = reader.string('ascii');
  const version = reader.uint16();
  const kindCode = reader.string('ascii');
  const holderName = reader.string('utf8');
  const certificateNumber = reader.string('utf8');
  if (!reader.done() || lifetime < 1 || lifetime > SHOW_TOKEN_MAX_LIFETIME_SECONDS) return malformed();
  if (!isValidIdentifier(identifier) || parseIdentifier(identifier).version !== version) return malformed();

  const seal = findSeal(sealCertificates, fingerprint);
  if (!seal) return { ok: false, reason: 'UNKNOWN_SEAL', message: '亮证码所用的印章证书不在信任列表中' };
  let signed = false;
  try {
    signed = verify(
      seal.certificate.publicKey65,
      signedBytes,
      sm2SignatureFromRaw(bytes.subarray(bytes.length - SIGNATURE_LENGTH)),
    );
  } catch {
    signed = false;
  }
  if (!signed) return signatureInvalid();
  const issuedAt = new Date(seconds * 1000);
  if (
    issuedAt.getTime() < seal.certificate.notBefore.getTime() ||
    issuedAt.getTime() > seal.certificate.notAfter.getTime()
  ) {
    return { ok: false, reason: 'SEAL_OUTSIDE_VALIDITY', message: '亮证码生成时间不在印章证书有效期内' };
  }
  return {
    ok: true,
    sealKeyId: seal.keyId,
    claims: {
      identifier,
      version,
      statusCode: String(status).padStart(2, '0'),
      issuedAt,
      expiresAt: new Date((seconds + lifetime) * 1000),
      nonce,
      kindCode,
      holderName,
      certificateNumber,
    },
  };
}

function field(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 255) throw new Error('show token: field too long');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

class Reader {
  constructor(
    private readonly bytes: Buffer,
    private offset: number,
  ) {}
  take(n: number): Buffer {
    if (this.offset + n > this.bytes.length) throw new Error('short');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uint16(): number {
    return this.take(2).readUInt16BE(0);
  }
  uint32(): number {
    return this.take(4).readUInt32BE(0);
  }
  string(encoding: 'ascii' | 'utf8'): string {
    const n = this.take(1)[0]!;
    const raw = this.take(n);
    const text = raw.toString(encoding);
    // Reject bytes that do not round-trip (invalid UTF-8, non-ASCII in an ASCII field).
    if (!Buffer.from(text, encoding).equals(raw) || (encoding === 'ascii' && /[^\x20-\x7e]/.test(text))) {
      throw new Error('bad string');
    }
    return text;
  }
  done(): boolean {
    return this.offset === this.bytes.length;
  }
}

function findSeal(
  sealCertificates: { keyId: string; pem: string }[],
  fingerprintHex: string,
): { keyId: string; certificate: ParsedCertificate } | undefined {
  for (const { keyId, pem } of sealCertificates) {
    const seal = parsedSeal(pem);
    if (!seal || seal.certificate.isCA) continue;
    if (seal.fingerprint === fingerprintHex) return { keyId, certificate: seal.certificate };
  }
  return undefined;
}

/** A seal certificate from the trust list and its fingerprint; null for a PEM that does not parse. */
function parsedSeal(pem: string): { certificate: ParsedCertificate; fingerprint: string } | null {
  try {
    // parseCertificate keeps what it parsed, so this costs a lookup after the first token.
    const certificate = parseCertificate(pem);
    return { certificate, fingerprint: sealFingerprint(certificate).toString('hex') };
  } catch {
    return null;
  }
}

function sealFingerprintOf(pem: string): Buffer {
  const seal = parsedSeal(pem);
  // An unparsable seal certificate fails here with the parser's own message.
  return seal ? Buffer.from(seal.fingerprint, 'hex') : sealFingerprint(pem);
}

function malformed(): { ok: false; reason: 'MALFORMED'; message: string } {
  return { ok: false, reason: 'MALFORMED', message: '扫描内容不是本平台的亮证码或证照二维码' };
}
