import { hkdfSync } from 'node:crypto';
import { AppError } from '../errors.ts';
import { hmacSm3 } from './sm3.ts';

/**
 * Key derivation: HKDF (RFC 5869) instantiated with HMAC-SM3, so one configured master key
 * yields independent keys per use. Deriving instead of reusing matters: a key used both to
 * encrypt and to index personal data would tie the two together.
 */

/** Labels in use. A new use gets a new label; a label is never reused for another purpose. */
export const KEY_LABELS = {
  /** SM4 encryption of personal identifiers (身份证号、手机号) at rest. */
  piiEncryption: 'pii-enc',
  /** Blind indexes over those identifiers, for equality lookups. */
  piiIndex: 'pii-index',
  /** Wrapping of signing private keys (keystore.ts). */
  keyWrap: 'key-wrap',
  /** Session tokens and cookies. */
  session: 'session',
} as const;

export type KnownKeyLabel = (typeof KEY_LABELS)[keyof typeof KEY_LABELS];

/** Fixed HKDF salt: domain separation from any other HKDF use of the same master key. */
const SALT = Buffer.from('roadcert/kdf/v1', 'utf8');
const LABEL_PATTERN = /^[a-z0-9][A-Za-z0-9:._-]{0,95}$/;
const MIN_MASTER_KEY_LENGTH = 16;
const SM3_LENGTH = 32;

/**
 * A `length`-byte key for `label` from `masterKey` (≥ 16 bytes). Labels are ASCII and
 * start lower-case; a sub-purpose may follow a colon, e.g. `pii-index:idCardNo`.
 */
export function deriveKey(masterKey: Uint8Array, label: KnownKeyLabel | (string & {}), length = 16): Buffer {
  if (!(masterKey instanceof Uint8Array) || masterKey.length < MIN_MASTER_KEY_LENGTH) {
    throw new AppError('CRYPTO_INVALID_INPUT', `主密钥长度不足：至少 ${MIN_MASTER_KEY_LENGTH} 字节`);
  }
  if (typeof label !== 'string' || !LABEL_PATTERN.test(label)) {
    throw new AppError('CRYPTO_INVALID_INPUT', `密钥用途标签不合法：${String(label)}`);
  }
  if (!Number.isInteger(length) || length < 16 || length > 255 * SM3_LENGTH) {
    throw new AppError('CRYPTO_INVALID_INPUT', `派生密钥长度不合法：${length}`);
  }
  return Buffer.from(hkdfSync('sm3', masterKey, SALT, `roadcert:${label}`, length));
}

/**
 * Normal form for identifiers before indexing: full-width to half-width (NFKC), no
 * whitespace, upper case — so "21010219900101123x" and "２１０１…１２３Ｘ " match.
 */
export function normalizeIdentifier(value: string): string {
  return value.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

/**
 * Blind index: hex HMAC-SM3 of the normalized value, stored next to the ciphertext so an
 * encrypted identifier can be found by equality without decrypting. Use a key derived for
 * the purpose (`deriveKey(master, 'pii-index:<field>', 32)`), one per field, so equal
 * values in different fields do not share an index.
 */
export function blindIndex(key: Uint8Array, value: string): string {
  if (!(key instanceof Uint8Array) || key.length < 16) {
    throw new AppError('CRYPTO_INVALID_INPUT', '盲索引密钥长度不足：至少 16 字节');
  }
  if (typeof value !== 'string') throw new AppError('CRYPTO_INVALID_INPUT', '盲索引的值必须是字符串');
  const normalized = normalizeIdentifier(value);
  if (normalized.length === 0) throw new AppError('CRYPTO_INVALID_INPUT', '盲索引的值不能为空');
  return hmacSm3(key, normalized).toString('hex');
}
