/**
 * The signed QR payload printed on certificate documents (亮证/查验二维码).
 *
 * An officer's scanner verifies it offline against the seal certificates; a phone camera
 * opens the same text as a URL for the online status page. Binary layout, format 1:
 *
 *   off  len  field
 *   0    1    format version (0x01)
 *   1    1    n = characters in the packed identifier body
 *   2    L    identifier body, base-37 (0-9 A-Z .), big-endian, L = bytes for 37^n − 1
 *   ..   32   SM3 digest of the certificate's signed data (full, see below)
 *   ..   4    issuance time, seconds since 1970 UTC, uint32 big-endian
 *   ..   8    seal certificate fingerprint: SM3(certificate DER)[0..8]
 *   ..   64   SM2 signature (default ID) over all bytes above, raw r‖s
 *
 * Identifier body: the identifier without the constant `1.2.156.3005.2.` prefix and
 * without the check character, which the verifier recomputes (ISO 7064 MOD 37,36). For a
 * platform identifier that is 57 characters → 38 bytes, against 57 as ASCII.
 *
 * Digest kept at 32 bytes: truncating to 16 would save ~39 QR digits (about one QR
 * version) but leave only 64-bit collision resistance, and the party who shapes the
 * signed data (an applicant's intake fields) is the one who would search for a collision.
 * Everything else here is at the 128-bit level (SM2-256), so the digest is too.
 *
 * Fingerprint: only a selector among current and retired seal certificates; a wrong
 * choice cannot pass because the signature is still checked under the chosen key. It names
 * the certificate (not just the key) so validity is checked on the exact certificate.
 *
 * Text form: `https://<verify base>/v#<decimal digits>`. The bytes, read as one
 * big-endian integer (the first byte is non-zero, so no length is lost), are written in
 * decimal. QR numeric mode stores 3 digits in 10 bits: 8.03 bits per payload byte, denser
 * than base45 in alphanumeric mode (8.25) and far denser than base64url in byte mode
 * (10.67); digits also survive URL handling unchanged, whereas base45's space and `%` do
 * not. The fragment is never sent to the server, so the payload stays out of access logs;
 * the status page reads it from `location.hash`.
 *
 * Domain separation: the seal key also signs canonical JSON (starts with `{`) and DER
 * structures (start with 0x30); signed QR bytes start with 0x01, so none can pass as another.
 */
import { type Signer, verifySignature } from '../../crypto/signer.ts';
import { sm2SignatureFromRaw, sm2SignatureToRaw } from '../../crypto/sm2.ts';
import { sm3 } from '../../crypto/sm3.ts';
import { type ParsedCertificate, parseCertificate } from '../../crypto/x509.ts';
import { mod3736CheckChar } from '../../domain/checkdigits.ts';
import { IDENTIFIER_PREFIX, isValidIdentifier, parseIdentifier } from '../../domain/identifiers.ts';
import { AppError } from '../../errors.ts';
import type { TrustMaterial } from '../../services/keys/keyring.ts';

export const QR_FORMAT_VERSION = 1;
export const QR_DIGEST_LENGTH = 32;
export const QR_SEAL_FINGERPRINT_LENGTH = 8;
export const QR_SIGNATURE_LENGTH = 64;
/** Path and separator after the verify base URL. */
export const QR_URL_PATH = '/v#';

const BODY_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.';
const BASE = BigInt(BODY_ALPHABET.length);
const BODY_SHAPE = /^[0-9A-Z]{21}\.[0-9A-Z]+\.[0-9A-Z]+\.\d{3}$/;
const MAX_BODY_CHARS = 255;
/** Far above a real payload (~360 digits) and cheap to parse; bounds work on garbage. */
const MAX_TEXT_LENGTH = 1024;
const TEXT_SHAPE = /^(https:\/\/[^\s#?]+)\/v#([1-9][0-9]*)$/;
const UINT32_LIMIT = 2 ** 32;

export interface QrPayloadInput {
  identifier: string;
  /** SM3 hex of the certificate's signed bytes (`SealedCertificate.signedDataDigest`). */
  signedDataDigest: string;
  issuedAt: Date;
  /** Must be the signer's key id: guards against sealing with a key the certificate does not name. */
  sealKeyId: string;
  /** PEM of the seal certificate whose key `signer` holds. */
  sealCertificate: string;
}

export interface EncodedQrPayload {
  /** What goes into the QR code. */
  text: string;
  bytes: Buffer;
  /** Byte length of `bytes` (the text is longer: see `text.length`). */
  length: number;
}

/** A decoded payload; nothing in it is trusted until `verifyQrPayload` says so. */
export interface QrPayload {
  formatVersion: number;
  baseUrl: string;
  identifier: string;
  /** The identifier's version (版本号). */
  version: number;
  /** Hex SM3 digest of the certificate's signed data. */
  digest: string;
  issuedAt: Date;
  sealFingerprint: string;
  bytes: Buffer;
  /** Everything the signature covers. */
  signedBytes: Buffer;
  /** Raw r‖s. */
  signature: Buffer;
}

export type QrRefusal = 'MALFORMED' | 'UNKNOWN_SEAL' | 'SIGNATURE_INVALID' | 'SEAL_OUTSIDE_VALIDITY';

export type QrDecodeResult =
  | { ok: true; payload: QrPayload }
  | { ok: false; reason: 'MALFORMED'; message: string };

export type QrVerification =
  | {
      ok: true;
      identifier: string;
      version: number;
      digest: string;
      issuedAt: Date;
      sealKeyId: string;
      baseUrl: string;
    }
  | { ok: false; reason: QrRefusal; message: string };

export interface QrTrust {
  sealCertificates: { keyId: string; pem: string }[];
  /**
   * When the seal certificate must have been valid. Defaults to the payload's signed
   * issuance time: a document sealed under a since-expired (retired) certificate stays valid.
   */
  at?: Date;
}

// ---------------------------------------------------------------- encoding

/** Builds and signs the payload. Throws AppError on bad input; never emits an unverifiable payload. */
export async function encodeQrPayload(
  input: QrPayloadInput,
  signer: Signer,
  options: { baseUrl: string },
): Promise<EncodedQrPayload> {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  if (!isValidIdentifier(input.identifier)) {
    throw new AppError('IDENTIFIER_INVALID', `二维码载荷中的电子证照标识不正确：${String(input.identifier)}`);
  }
  if (typeof input.signedDataDigest !== 'string' || !/^[0-9a-fA-F]{64}$/.test(input.signedDataDigest)) {
    throw invalidInput('签名数据摘要应为 64 位十六进制 SM3 值');
  }
  const seconds = issuedAtSeconds(input.issuedAt);
  const seal = parseCertificate(input.sealCertificate);
  if (input.sealKeyId !== signer.keyId) {
    throw invalidInput(`印章密钥标识“${input.sealKeyId}”与签名密钥“${signer.keyId}”不一致`);
  }
  if (!seal.publicKey65.equals(signer.publicKey)) {
    throw invalidInput('签名密钥与印章证书中的公钥不一致');
  }
  // The payload keeps whole seconds; check the time the verifier will see.
  if (!withinValidity(seal, new Date(seconds * 1000))) {
    throw invalidInput('签发时间不在印章证书有效期内，生成的二维码将无法通过验证');
  }

  const time = Buffer.alloc(4);
  time.writeUInt32BE(seconds);
  const signedBytes = Buffer.concat([
    Buffer.from([QR_FORMAT_VERSION]),
    packIdentifier(input.identifier),
    Buffer.from(input.signedDataDigest, 'hex'),
    time,
    sealFingerprint(seal),
  ]);
  const signature = sm2SignatureToRaw(await signer.sign(signedBytes));
  const bytes = Buffer.concat([signedBytes, signature]);
  return { text: qrTextFromBytes(baseUrl, bytes), bytes, length: bytes.length };
}

/** `<base>/v#<decimal of bytes>`; exported so tests and tools can re-wrap altered bytes. */
export function qrTextFromBytes(baseUrl: string, bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes[0] === 0) throw invalidInput('二维码载荷首字节不能为 0');
  return `${normalizeBaseUrl(baseUrl)}${QR_URL_PATH}${BigInt(`0x${Buffer.from(bytes).toString('hex')}`).toString(10)}`;
}

/** First 8 bytes of SM3 over the certificate DER. */
export function sealFingerprint(certificate: ParsedCertificate | string): Buffer {
  const cert = typeof certificate === 'string' ? parseCertificate(certificate) : certificate;
  return sm3(cert.der).subarray(0, QR_SEAL_FINGERPRINT_LENGTH);
}

/** The seal certificates a verifier trusts, from `GET /api/v1/trust`: active and retired. */
export function qrTrustFromTrustMaterial(
  trust: Pick<TrustMaterial, 'sealKeyId' | 'sealCertificate' | 'retiredSealCertificates'>,
): QrTrust {
  return {
    sealCertificates: [
      { keyId: trust.sealKeyId, pem: trust.sealCertificate },
      ...trust.retiredSealCertificates.map((r) => ({ keyId: r.keyId, pem: r.certificate })),
    ],
  };
}

// ---------------------------------------------------------------- decoding

/** Parses the QR text into its parts, checking structure only (no signature). Never throws. */
export function decodeQrPayload(text: unknown): QrDecodeResult {
  if (typeof text !== 'string' || text.length > MAX_TEXT_LENGTH)
    return malformed('二维码内容不是本平台的查验码');
  const match = TEXT_SHAPE.exec(text);
  if (match === null) return malformed('二维码内容不是本平台的查验码');
  const [, baseUrl = '', digits = ''] = match;
  let hex = BigInt(digits).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return decodeBytes(Buffer.from(hex, 'hex'), baseUrl);
}

function decodeBytes(bytes: Buffer, baseUrl: string): QrDecodeResult {
  if (bytes[0] !== QR_FORMAT_VERSION) return malformed(`不支持的二维码格式版本：${bytes[0] ?? '无'}`);
  const n = bytes[1];
  if (n === undefined || n === 0) return malformed('二维码载荷不完整');
  const idLength = packedLength(n);
  const expected = 2 + idLength + QR_DIGEST_LENGTH + 4 + QR_SEAL_FINGERPRINT_LENGTH + QR_SIGNATURE_LENGTH;
  if (bytes.length !== expected) {
    return malformed(`二维码载荷长度不正确：应为 ${expected} 字节，实际为 ${bytes.length} 字节`);
  }
  const body = unpackBody(bytes.subarray(2, 2 + idLength), n);
  if (body === null || !BODY_SHAPE.test(body)) return malformed('二维码中的电子证照标识格式不正确');
  const identifier = `${IDENTIFIER_PREFIX}${body}.${mod3736CheckChar(body.replaceAll('.', ''))}`;
  let version: number;
  try {
    version = parseIdentifier(identifier).version;
  } catch {
    return malformed('二维码中的电子证照标识格式不正确');
  }
  let offset = 2 + idLength;
  const digest = bytes.subarray(offset, offset + QR_DIGEST_LENGTH).toString('hex');
  offset += QR_DIGEST_LENGTH;
  const issuedAt = new Date(bytes.readUInt32BE(offset) * 1000);
  offset += 4;
  const fingerprint = bytes.subarray(offset, offset + QR_SEAL_FINGERPRINT_LENGTH).toString('hex');
  offset += QR_SEAL_FINGERPRINT_LENGTH;
  return {
    ok: true,
    payload: {
      formatVersion: QR_FORMAT_VERSION,
      baseUrl,
      identifier,
      version,
      digest,
      issuedAt,
      sealFingerprint: fingerprint,
      bytes,
      signedBytes: bytes.subarray(0, offset),
      signature: bytes.subarray(offset),
    },
  };
}

// ---------------------------------------------------------------- verification

/**
 * Offline check with public material only: structure, which seal, SM2 signature, and the
 * seal certificate's validity. Never throws. Revocation and certificate status are the
 * online page's job (the payload's URL).
 */
export function verifyQrPayload(text: unknown, trust: QrTrust): QrVerification {
  try {
    return verifyOrThrow(text, trust);
  } catch {
    // Only reachable through a bug or a broken addon; still a refusal, not an exception.
    return { ok: false, reason: 'MALFORMED', message: '二维码无法验证' };
  }
}

function verifyOrThrow(text: unknown, trust: QrTrust): QrVerification {
  const decoded = decodeQrPayload(text);
  if (!decoded.ok) return decoded;
  const { payload } = decoded;
  const entry = findSeal(trust, payload.sealFingerprint);
  if (entry === undefined) {
    return { ok: false, reason: 'UNKNOWN_SEAL', message: '二维码所用的印章证书不在信任列表中' };
  }
  let signed = false;
  try {
    const der = sm2SignatureFromRaw(payload.signature);
    signed = verifySignature(entry.certificate.publicKey65, payload.signedBytes, der);
  } catch {
    signed = false; // r or s out of range, for instance
  }
  if (!signed)
    return { ok: false, reason: 'SIGNATURE_INVALID', message: '二维码签名验证未通过，内容可能被篡改' };
  // Checked only after the signature: an unsigned time says nothing worth reporting.
  const at = trust.at ?? payload.issuedAt;
  if (!withinValidity(entry.certificate, at)) {
    return {
      ok: false,
      reason: 'SEAL_OUTSIDE_VALIDITY',
      message: `签章时间 ${at.toISOString()} 不在印章证书有效期内`,
    };
  }
  return {
    ok: true,
    identifier: payload.identifier,
    version: payload.version,
    digest: payload.digest,
    issuedAt: payload.issuedAt,
    sealKeyId: entry.keyId,
    baseUrl: payload.baseUrl,
  };
}

/** Whether `signedData` are the bytes the payload's digest names (the document matches the QR). */
export function matchesDocument(payload: { digest: string }, signedData: Uint8Array): boolean {
  return sm3(signedData).toString('hex') === payload.digest.toLowerCase();
}

function findSeal(
  trust: QrTrust,
  fingerprintHex: string,
): { keyId: string; certificate: ParsedCertificate } | undefined {
  for (const { keyId, pem } of trust?.sealCertificates ?? []) {
    let certificate: ParsedCertificate;
    try {
      certificate = parseCertificate(pem);
    } catch {
      continue; // a broken trust entry cannot vouch for anything
    }
    if (certificate.isCA) continue; // the root signs certificates, not documents
    if (sealFingerprint(certificate).toString('hex') === fingerprintHex) return { keyId, certificate };
  }
  return undefined;
}

// ---------------------------------------------------------------- identifier packing

/** Bytes that hold any n-character base-37 value; fixed by n so no length byte is needed. */
function packedLength(n: number): number {
  return Math.ceil((BASE ** BigInt(n) - 1n).toString(16).length / 2);
}

function packIdentifier(identifier: string): Buffer {
  const parsed = parseIdentifier(identifier);
  const body = identifier.slice(IDENTIFIER_PREFIX.length, -(parsed.check.length + 1));
  if (body.length > MAX_BODY_CHARS) throw invalidInput('电子证照标识过长，无法放入二维码');
  let value = 0n;
  for (const ch of body) value = value * BASE + BigInt(BODY_ALPHABET.indexOf(ch));
  const length = packedLength(body.length);
  const hex = value.toString(16).padStart(length * 2, '0');
  return Buffer.concat([Buffer.from([body.length]), Buffer.from(hex, 'hex')]);
}

/** Null when the value exceeds n base-37 digits: one value, one encoding. */
function unpackBody(packed: Buffer, n: number): string | null {
  let value = BigInt(`0x${packed.toString('hex') || '0'}`);
  if (value >= BASE ** BigInt(n)) return null;
  const chars: string[] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    chars[i] = BODY_ALPHABET[Number(value % BASE)] ?? '';
    value /= BASE;
  }
  return chars.join('');
}

// ---------------------------------------------------------------- helpers

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalidInput('查验网址不是有效的 URL');
  }
  if (
    url.protocol !== 'https:' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw invalidInput('查验网址应为不带查询参数、片段和用户信息的 https 地址');
  }
  const text = url.href.replace(/\/+$/, '');
  if (/[\s#?]/.test(text)) throw invalidInput('查验网址含有不允许的字符');
  return text;
}

function issuedAtSeconds(issuedAt: Date): number {
  const ms = issuedAt instanceof Date ? issuedAt.getTime() : Number.NaN;
  const seconds = Math.floor(ms / 1000);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds >= UINT32_LIMIT) {
    throw invalidInput('签发时间应在 1970 年至 2106 年之间');
  }
  return seconds;
}

function withinValidity(cert: ParsedCertificate, at: Date): boolean {
  const t = at.getTime();
  return t >= cert.notBefore.getTime() && t <= cert.notAfter.getTime();
}

function invalidInput(message: string): AppError {
  return new AppError('CRYPTO_INVALID_INPUT', message);
}

function malformed(message: string): { ok: false; reason: 'MALFORMED'; message: string } {
  return { ok: false, reason: 'MALFORMED', message };
}
