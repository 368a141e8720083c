import { AppError, isAppError } from '../errors.ts';
import { deriveKey, KEY_LABELS } from './kdf.ts';
import { SM2_PRIVATE_KEY_LENGTH } from './sm2-curve.ts';
import { sm4Open, sm4Seal } from './sm4.ts';

/**
 * Signing keys at rest: the SM2 scalar sealed with SM4 (sm4.ts) under a key derived from
 * the key-encryption key (KEK), with the key id as associated data — a blob copied to
 * another key id's row does not open. Text form: `rcwk1:` + base64.
 *
 * Nothing here logs or echoes key material; errors say what failed, not with what.
 */

const PREFIX = 'rcwk1:';
const KEY_ID_PATTERN = /^[\p{L}\p{N}._:@/-]{1,128}$/u;
const MIN_KEK_LENGTH = 16;

/** Key ids: 1–128 letters, digits or `._:@/-`; they end up in AAD, logs and URLs. */
export function assertValidKeyId(keyId: unknown): asserts keyId is string {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
    throw new AppError('CRYPTO_INVALID_INPUT', '密钥标识不合法：应为 1–128 个字母、数字或 ._:@/- 字符');
  }
}

function checkKekAndId(kek: Uint8Array, keyId: string): void {
  if (!(kek instanceof Uint8Array) || kek.length < MIN_KEK_LENGTH) {
    throw new AppError('CRYPTO_INVALID_INPUT', `密钥加密密钥（KEK）长度不足：至少 ${MIN_KEK_LENGTH} 字节`);
  }
  assertValidKeyId(keyId);
}

function aadFor(keyId: string): Buffer {
  // Binds the key type as well as the id, so a wrapped key of another kind cannot pass as SM2.
  return Buffer.from(`roadcert:sm2-private-key:${keyId}`, 'utf8');
}

/** Seals the 32-byte SM2 private scalar for storage. */
export function wrapPrivateKey(privateKey: Uint8Array, kek: Uint8Array, keyId: string): string {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== SM2_PRIVATE_KEY_LENGTH) {
    throw new AppError('CRYPTO_INVALID_INPUT', 'SM2 私钥应为 32 字节');
  }
  checkKekAndId(kek, keyId);
  const wrapKey = deriveKey(kek, KEY_LABELS.keyWrap, 16);
  try {
    return PREFIX + sm4Seal(wrapKey, privateKey, aadFor(keyId)).toString('base64');
  } finally {
    wrapKey.fill(0);
  }
}

/**
 * Opens a blob from wrapPrivateKey. A wrong KEK, a wrong key id and a tampered blob all
 * give KEY_DECRYPT_FAILED, deliberately indistinguishable. The caller owns (and should
 * wipe) the returned buffer.
 */
export function unwrapPrivateKey(blob: string, kek: Uint8Array, keyId: string): Buffer {
  checkKekAndId(kek, keyId);
  if (typeof blob !== 'string' || !blob.startsWith(PREFIX)) {
    throw new AppError('CRYPTO_INVALID_INPUT', '封装密钥格式不正确：缺少 rcwk1: 前缀');
  }
  const body = blob.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw new AppError('CRYPTO_INVALID_INPUT', '封装密钥格式不正确：内容不是有效的 Base64');
  }
  const wrapKey = deriveKey(kek, KEY_LABELS.keyWrap, 16);
  let privateKey: Buffer;
  try {
    privateKey = sm4Open(wrapKey, Buffer.from(body, 'base64'), aadFor(keyId));
  } catch (cause) {
    if (isAppError(cause) && cause.code === 'CRYPTO_AUTH_FAILED') {
      throw new AppError('KEY_DECRYPT_FAILED', '私钥解封失败：主密钥或密钥标识不匹配，或密文已被篡改', {
        cause,
      });
    }
    throw cause;
  } finally {
    wrapKey.fill(0);
  }
  if (privateKey.length !== SM2_PRIVATE_KEY_LENGTH) {
    privateKey.fill(0);
    throw new AppError('KEY_DECRYPT_FAILED', '私钥解封失败：解出的私钥长度不正确');
  }
  return privateKey;
}
