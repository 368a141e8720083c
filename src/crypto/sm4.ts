import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';
import { deriveKey } from './kdf.ts';
import { hmacSm3 } from './sm3.ts';

/**
 * Authenticated encryption with SM4 (GB/T 32907). Node's OpenSSL 3.0 has no SM4-GCM, so
 * this is encrypt-then-MAC: SM4-CTR for confidentiality, HMAC-SM3 over everything for
 * integrity, with separate keys derived from the caller's key.
 *
 *   sealed = version(1) ‖ iv(16) ‖ ciphertext(|plaintext|) ‖ tag(32)
 *   tag    = HMAC-SM3(macKey, version ‖ iv ‖ len(aad) as u64be ‖ aad ‖ ciphertext)
 *
 * The version byte lets the format change later without guessing; the AAD length prefix
 * keeps (aad, ciphertext) splits unambiguous. The IV is random: 128 bits make a repeated
 * counter block negligible for any volume this platform will see.
 */

const FORMAT_V1 = 0x01;
const KEY_LENGTH = 16;
const IV_LENGTH = 16;
const TAG_LENGTH = 32;
const HEADER_LENGTH = 1 + IV_LENGTH;
export const SM4_SEAL_OVERHEAD = HEADER_LENGTH + TAG_LENGTH;

const EMPTY = Buffer.alloc(0);

/**
 * Sub-keys per key object. Long-lived keys (the PII vault's) are sealed with thousands of times a
 * second; deriving them once saves two HKDF runs per call. Keyed by the key object itself, so a
 * key that is dropped takes its sub-keys with it; callers must not mutate a key after use.
 */
const subkeyCache = new WeakMap<Uint8Array, { encKey: Buffer; macKey: Buffer; fingerprint: string }>();

function subkeys(key: Uint8Array): { encKey: Buffer; macKey: Buffer } {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new AppError('CRYPTO_INVALID_INPUT', `SM4 密钥应为 16 字节，实际为 ${key?.length ?? 0} 字节`);
  }
  const fingerprint = Buffer.from(key).toString('hex');
  const cached = subkeyCache.get(key);
  if (cached && cached.fingerprint === fingerprint) return cached;
  const derived = {
    encKey: deriveKey(key, 'sm4-seal:enc', KEY_LENGTH),
    macKey: deriveKey(key, 'sm4-seal:mac', 32),
    fingerprint,
  };
  subkeyCache.set(key, derived);
  return derived;
}

function tagOf(macKey: Buffer, header: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Buffer {
  const aadLength = Buffer.alloc(8);
  aadLength.writeBigUInt64BE(BigInt(aad.length));
  return hmacSm3(macKey, Buffer.concat([header, aadLength, aad, ciphertext]));
}

function assertBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new AppError('CRYPTO_INVALID_INPUT', `${what}必须是字节数组`);
}

/** Encrypts and authenticates `plaintext`; `aad` is authenticated but not stored. */
export function sm4Seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Buffer {
  assertBytes(plaintext, '明文');
  assertBytes(aad, '附加认证数据');
  const { encKey, macKey } = subkeys(key);
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('sm4-ctr', encKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const header = Buffer.concat([Buffer.from([FORMAT_V1]), iv]);
  return Buffer.concat([header, ciphertext, tagOf(macKey, header, aad, ciphertext)]);
}

/**
 * Checks the tag (in constant time) before decrypting anything; a wrong key, wrong AAD
 * or any changed byte gives CRYPTO_AUTH_FAILED and no plaintext.
 */
export function sm4Open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Buffer {
  assertBytes(sealed, '密文');
  assertBytes(aad, '附加认证数据');
  const { encKey, macKey } = subkeys(key);
  if (sealed.length < SM4_SEAL_OVERHEAD) {
    throw new AppError('CRYPTO_AUTH_FAILED', '密文长度不足，数据不完整或已被篡改');
  }
  if (sealed[0] !== FORMAT_V1) {
    throw new AppError('CRYPTO_AUTH_FAILED', `不支持的密文格式版本 ${sealed[0]}，或数据已被篡改`);
  }
  const header = sealed.subarray(0, HEADER_LENGTH);
  const ciphertext = sealed.subarray(HEADER_LENGTH, sealed.length - TAG_LENGTH);
  const tag = sealed.subarray(sealed.length - TAG_LENGTH);
  if (!timingSafeEqual(tag, tagOf(macKey, header, aad, ciphertext))) {
    throw new AppError('CRYPTO_AUTH_FAILED', '密文完整性校验失败：密钥不符或数据已被篡改');
  }
  const decipher = createDecipheriv('sm4-ctr', encKey, header.subarray(1));
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
