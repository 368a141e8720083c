/**
 * The 亮证 token: what the holder's phone shows as a QR code for an officer to scan. It lives
 * for at most 60 s and verifies once (its nonce is spent on the first check). Its bytes (format 2)
 * are laid out and read in src/domain/show-token-layout.ts, which the officer's page shares;
 * this module signs them and checks the signature and the seal.
 */
import { randomBytes } from 'node:crypto';
import { type Signer, verifySignature } from '../../crypto/signer.ts';
import { sm2SignatureFromRaw, sm2SignatureToRaw, sm2VerifyAsync } from '../../crypto/sm2.ts';
import { type ParsedCertificate, parseCertificate } from '../../crypto/x509.ts';
import { sealFingerprint } from '../../documents/qr/payload.ts';
import { isValidIdentifier, parseIdentifier } from '../../domain/identifiers.ts';
import {
  readShowToken,
  SHOW_TOKEN_FORMAT,
  SHOW_TOKEN_MAX_LIFETIME_SECONDS,
  SHOW_TOKEN_NONCE_LENGTH,
} from '../../domain/show-token-layout.ts';

export { SHOW_TOKEN_FORMAT, SHOW_TOKEN_MAX_LIFETIME_SECONDS };

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
  const nonce = randomBytes(SHOW_TOKEN_NONCE_LENGTH);
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
  const token = readShowToken(bytes);
  if (!token) return malformed();
  const { identifier, version, kindCode, holderName, certificateNumber } = token;
  const seconds = token.issuedAtSeconds;

  const seal = findSeal(sealCertificates, token.sealFingerprintHex);
  if (!seal) return { ok: false, reason: 'UNKNOWN_SEAL', message: '亮证码所用的印章证书不在信任列表中' };
  let signed = false;
  try {
    signed = verify(seal.certificate.publicKey65, token.signed, sm2SignatureFromRaw(token.signature));
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
      statusCode: String(token.status).padStart(2, '0'),
      issuedAt,
      expiresAt: new Date((seconds + token.lifetimeSeconds) * 1000),
      nonce: token.nonceHex,
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
