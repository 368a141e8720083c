import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { AppError } from '../errors.ts';
import {
  bytesToBigint,
  DER_TAG,
  decodeUnsignedInteger,
  encodeTlv,
  encodeUnsignedInteger,
  expectTlv,
} from './der.ts';
import { derFromPemOrDer, toPem } from './pem.ts';
import {
  OID,
  SM2_COORD_LENGTH,
  SM2_CURVE,
  SM2_DEFAULT_ID,
  SM2_PRIVATE_KEY_LENGTH,
  SM2_PUBLIC_KEY_LENGTH,
} from './sm2-curve.ts';
import { sm3 } from './sm3.ts';

/**
 * SM2 signatures (GB/T 32918.2) with SM3 and the default ID, DER `SEQUENCE { r, s }`.
 *
 * Signing and verifying run in the native addon (native/sm2.c with its own constant-time curve
 * arithmetic in native/sm2p256.c; OpenSSL supplies SM3, the nonces and the key checks), because
 * node:crypto cannot set the SM2 distinguishing ID and OpenSSL 3.0's SM2 is slow (see
 * docs/crypto.md). Z_A, e, the DER codec and SubjectPublicKeyInfo are plain TypeScript: they
 * need no secret and are what an HSM backend (which signs e) will need too.
 */

export { SM2_DEFAULT_ID, SM2_PRIVATE_KEY_LENGTH, SM2_PUBLIC_KEY_LENGTH } from './sm2-curve.ts';

// ---------------------------------------------------------------- native addon

declare const nativeKeyBrand: unique symbol;
/** An EVP_PKEY owned by the addon; freed when the handle is garbage-collected. */
type NativeKey = { readonly [nativeKeyBrand]: true };

interface NativeSm2 {
  generateKeyPair(): { privateKey: Buffer; publicKey: Buffer; handle: NativeKey };
  importPrivateKey(d: Uint8Array): { handle: NativeKey; publicKey: Buffer };
  importPublicKey(publicKey: Uint8Array): NativeKey;
  sign(key: NativeKey, data: Uint8Array): Buffer;
  verify(key: NativeKey, data: Uint8Array, signature: Uint8Array): boolean;
  signAsync(key: NativeKey, data: Uint8Array): Promise<Buffer>;
  verifyAsync(key: NativeKey, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  signManyAsync(key: NativeKey, messages: readonly Uint8Array[]): Promise<Buffer[]>;
  // The same operations through OpenSSL's EVP SM2, and public-point helpers: tests and bench only.
  signOpenssl(key: NativeKey, data: Uint8Array): Buffer;
  verifyOpenssl(key: NativeKey, data: Uint8Array, signature: Uint8Array): boolean;
  mulBase(k: Uint8Array): Buffer | null;
  mulAdd(u: Uint8Array, t: Uint8Array, point: Uint8Array, withTable?: boolean): Buffer | null;
  testSignDigestWithK(d: Uint8Array, e: Uint8Array, k: Uint8Array): Buffer | null;
}

const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/roadcert_sm2.node', import.meta.url));
let addon: NativeSm2 | undefined;

/**
 * Loads the addon on first use, so modules that merely import this file (or only need
 * SM3/SM4) work before it is built.
 */
function loadSm2Native(): NativeSm2 {
  if (addon !== undefined) return addon;
  if (!existsSync(ADDON_PATH)) {
    // The path goes to `cause` (logged), not `details` (may reach a client).
    throw new AppError('CRYPTO_NATIVE_UNAVAILABLE', 'SM2 原生模块未编译：请运行 npm install', {
      cause: new Error(`addon not found at ${ADDON_PATH}`),
    });
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as NativeSm2;
  } catch (cause) {
    throw new AppError('CRYPTO_NATIVE_UNAVAILABLE', 'SM2 原生模块加载失败：请重新运行 npm install', {
      cause,
    });
  }
  return addon;
}

/** For boot code: fail at start-up, not at the first signature, when the addon is missing. */
export function ensureSm2Native(): void {
  loadSm2Native();
}

/** Maps an addon error to AppError; `badKey` is the message for a rejected key value. */
function nativeError(cause: unknown, badKey: string): AppError {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ERR_SM2_KEY') return new AppError('CRYPTO_INVALID_INPUT', badKey, { cause });
  if (code === 'ERR_SM2_INVALID_ARG')
    return new AppError('CRYPTO_INVALID_INPUT', 'SM2 运算参数不正确', { cause });
  return new AppError('CRYPTO_OPERATION_FAILED', 'SM2 运算失败', { cause });
}

// ---------------------------------------------------------------- input checks

function assertBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new AppError('CRYPTO_INVALID_INPUT', `${what}必须是字节数组`);
}

function assertPublicKey(publicKey: unknown): asserts publicKey is Uint8Array {
  assertBytes(publicKey, 'SM2 公钥');
  if (publicKey.length !== SM2_PUBLIC_KEY_LENGTH || publicKey[0] !== 0x04) {
    throw new AppError(
      'CRYPTO_INVALID_INPUT',
      `SM2 公钥应为 65 字节非压缩点（04‖x‖y），实际为 ${publicKey.length} 字节`,
    );
  }
}

function assertPrivateKey(privateKey: unknown): asserts privateKey is Uint8Array {
  assertBytes(privateKey, 'SM2 私钥');
  if (privateKey.length !== SM2_PRIVATE_KEY_LENGTH) {
    throw new AppError('CRYPTO_INVALID_INPUT', `SM2 私钥应为 32 字节，实际为 ${privateKey.length} 字节`);
  }
}

// ---------------------------------------------------------------- key handles

let privateKeyFromNative: (handle: NativeKey, publicKey: Buffer) => Sm2PrivateKey;
let privateHandleOf: (key: Sm2PrivateKey) => NativeKey;
let publicHandleOf: (key: Sm2PublicKey) => NativeKey;

const PRIVATE_KEY_OUT_OF_RANGE = 'SM2 私钥超出范围：d 必须在 [1, n-2] 内';
const PUBLIC_KEY_NOT_ON_CURVE = 'SM2 公钥不是曲线上的有效点';

/**
 * A private key parsed once into OpenSSL memory. The scalar cannot be read back from it:
 * the handle is an opaque native external in a private field.
 */
export class Sm2PrivateKey {
  readonly #handle: NativeKey;
  readonly #publicKey: Buffer;

  private constructor(handle: NativeKey, publicKey: Buffer) {
    this.#handle = handle;
    this.#publicKey = publicKey;
  }

  /** Imports the raw 32-byte scalar d; the caller should wipe its copy afterwards. */
  static fromScalar(d: Uint8Array): Sm2PrivateKey {
    assertPrivateKey(d);
    const native = loadSm2Native();
    try {
      const { handle, publicKey } = native.importPrivateKey(d);
      return new Sm2PrivateKey(handle, publicKey);
    } catch (cause) {
      throw nativeError(cause, PRIVATE_KEY_OUT_OF_RANGE);
    }
  }

  /** 65-byte uncompressed public point (a copy). */
  get publicKey(): Buffer {
    return Buffer.from(this.#publicKey);
  }

  toJSON(): { type: 'SM2PrivateKey'; publicKey: string } {
    return { type: 'SM2PrivateKey', publicKey: this.#publicKey.toString('hex') };
  }

  [inspect.custom](): string {
    return `Sm2PrivateKey { publicKey: ${this.#publicKey.toString('hex').slice(0, 18)}… }`;
  }

  // Module-private access (no public getter or factory reaches the native handle).
  static {
    privateKeyFromNative = (handle, publicKey) => new Sm2PrivateKey(handle, publicKey);
    privateHandleOf = (key) => key.#handle;
  }
}

/** A public key parsed (and checked to be on the curve) once. */
export class Sm2PublicKey {
  readonly #handle: NativeKey;
  readonly #bytes: Buffer;

  private constructor(handle: NativeKey, bytes: Buffer) {
    this.#handle = handle;
    this.#bytes = bytes;
  }

  static from(publicKey: Uint8Array): Sm2PublicKey {
    assertPublicKey(publicKey);
    const native = loadSm2Native();
    try {
      return new Sm2PublicKey(native.importPublicKey(publicKey), Buffer.from(publicKey));
    } catch (cause) {
      throw nativeError(cause, PUBLIC_KEY_NOT_ON_CURVE);
    }
  }

  get bytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  static {
    publicHandleOf = (key) => key.#handle;
  }
}

/*
 * Verification usually repeats with a few keys (the seal certificates), so parsed public
 * keys are kept in a small LRU; parsing includes the on-curve check, which costs more than
 * a hash lookup.
 */
const PUBLIC_KEY_CACHE_SIZE = 128;
const publicKeyCache = new Map<string, Sm2PublicKey>();

function publicKeyHandle(publicKey: Uint8Array | Sm2PublicKey): NativeKey {
  if (publicKey instanceof Sm2PublicKey) return publicHandleOf(publicKey);
  assertPublicKey(publicKey);
  const cacheKey = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString(
    'base64',
  );
  let key = publicKeyCache.get(cacheKey);
  if (key === undefined) {
    key = Sm2PublicKey.from(publicKey);
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_SIZE) {
      publicKeyCache.delete(publicKeyCache.keys().next().value as string);
    }
  } else {
    publicKeyCache.delete(cacheKey); // re-insert to mark as most recently used
  }
  publicKeyCache.set(cacheKey, key);
  return publicHandleOf(key);
}

function privateKeyHandle(key: Sm2PrivateKey | Uint8Array): NativeKey {
  return privateHandleOf(key instanceof Sm2PrivateKey ? key : Sm2PrivateKey.fromScalar(key));
}

// ---------------------------------------------------------------- keys, sign, verify

export interface Sm2KeyPair {
  /** Raw scalar d. Wrap it (keystore.ts) and wipe it; never log or store it in clear. */
  readonly privateKey: Buffer;
  /** 65-byte uncompressed point. */
  readonly publicKey: Buffer;
  /** The same private key, already imported for signing. */
  readonly key: Sm2PrivateKey;
}

/** A fresh key pair from OpenSSL's CSPRNG (d in [1, n-2]). */
export function generateSm2KeyPair(): Sm2KeyPair {
  const native = loadSm2Native();
  let generated: ReturnType<NativeSm2['generateKeyPair']>;
  try {
    generated = native.generateKeyPair();
  } catch (cause) {
    throw nativeError(cause, 'SM2 密钥生成失败');
  }
  return {
    privateKey: generated.privateKey,
    publicKey: generated.publicKey,
    key: privateKeyFromNative(generated.handle, Buffer.from(generated.publicKey)),
  };
}

/** Standard SM2 signature (default ID) over `data`, DER-encoded. */
export function sm2Sign(key: Sm2PrivateKey | Uint8Array, data: Uint8Array): Buffer {
  assertBytes(data, '待签名数据');
  const handle = privateKeyHandle(key);
  try {
    return loadSm2Native().sign(handle, data);
  } catch (cause) {
    throw nativeError(cause, 'SM2 签名失败');
  }
}

/** As sm2Sign, on the libuv thread pool: off the event loop and parallel across cores. */
export async function sm2SignAsync(key: Sm2PrivateKey | Uint8Array, data: Uint8Array): Promise<Buffer> {
  assertBytes(data, '待签名数据');
  const handle = privateKeyHandle(key);
  try {
    return await loadSm2Native().signAsync(handle, data);
  } catch (cause) {
    throw nativeError(cause, 'SM2 签名失败');
  }
}

/**
 * As sm2SignAsync for many messages: one job on the libuv thread pool signs them in turn, so the
 * event loop pays one call instead of one per message. Run several batches at once to use
 * several cores. Signatures come back in message order; if any fails, the whole batch rejects.
 */
export async function sm2SignManyAsync(
  key: Sm2PrivateKey | Uint8Array,
  messages: readonly Uint8Array[],
): Promise<Buffer[]> {
  if (!Array.isArray(messages)) throw new AppError('CRYPTO_INVALID_INPUT', '待签名数据必须是字节数组的数组');
  for (const m of messages) assertBytes(m, '待签名数据');
  if (messages.length === 0) return [];
  const handle = privateKeyHandle(key);
  try {
    return await loadSm2Native().signManyAsync(handle, messages);
  } catch (cause) {
    throw nativeError(cause, 'SM2 签名失败');
  }
}

/**
 * True when `signature` is a valid DER SM2 signature of `data` under the key. Any
 * malformed or non-canonical signature is simply false; a malformed key throws.
 */
export function sm2Verify(
  publicKey: Uint8Array | Sm2PublicKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  assertBytes(data, '待验证数据');
  assertBytes(signature, '签名值');
  const handle = publicKeyHandle(publicKey);
  try {
    return loadSm2Native().verify(handle, data, signature);
  } catch (cause) {
    throw nativeError(cause, 'SM2 验签失败');
  }
}

export async function sm2VerifyAsync(
  publicKey: Uint8Array | Sm2PublicKey,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  assertBytes(data, '待验证数据');
  assertBytes(signature, '签名值');
  const handle = publicKeyHandle(publicKey);
  try {
    return await loadSm2Native().verifyAsync(handle, data, signature);
  } catch (cause) {
    throw nativeError(cause, 'SM2 验签失败');
  }
}

// ---------------------------------------------------------------- Z_A and e

const CURVE_BYTES = Buffer.concat(
  [SM2_CURVE.a, SM2_CURVE.b, SM2_CURVE.gx, SM2_CURVE.gy].map((v) =>
    Buffer.from(v.toString(16).padStart(SM2_COORD_LENGTH * 2, '0'), 'hex'),
  ),
);

/** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ xA ‖ yA), GB/T 32918.2 §5.5. */
export function computeZA(publicKey: Uint8Array, id: string | Uint8Array = SM2_DEFAULT_ID): Buffer {
  assertPublicKey(publicKey);
  const idBytes = typeof id === 'string' ? Buffer.from(id, 'utf8') : Buffer.from(id);
  // ENTL is the ID length in bits as two bytes.
  if (idBytes.length >= 8192)
    throw new AppError('CRYPTO_INVALID_INPUT', 'SM2 用户标识过长（应少于 8192 字节）');
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(idBytes.length * 8);
  return sm3(Buffer.concat([entl, idBytes, CURVE_BYTES, publicKey.subarray(1)]));
}

/** e = SM3(Z_A ‖ M): the value an HSM's SM2 sign call (e.g. GM/T 0018 SDF) is given. */
export function sm2Digest(
  publicKey: Uint8Array,
  message: Uint8Array,
  id: string | Uint8Array = SM2_DEFAULT_ID,
): Buffer {
  assertBytes(message, '消息');
  return sm3(Buffer.concat([computeZA(publicKey, id), message]));
}

// ---------------------------------------------------------------- signature codec

export interface Sm2SignatureValue {
  readonly r: bigint;
  readonly s: bigint;
}

/** DER `SEQUENCE { r INTEGER, s INTEGER }` (GM/T 0009 SM2Signature). */
export function encodeSm2Signature(signature: Sm2SignatureValue): Buffer {
  const { r, s } = signature;
  if (r < 1n || r >= SM2_CURVE.n || s < 1n || s >= SM2_CURVE.n) {
    throw new AppError('CRYPTO_INVALID_INPUT', 'SM2 签名值 r、s 必须在 [1, n-1] 内');
  }
  return encodeTlv(DER_TAG.SEQUENCE, Buffer.concat([encodeUnsignedInteger(r), encodeUnsignedInteger(s)]));
}

/** Strict inverse of encodeSm2Signature: trailing bytes or non-minimal encodings are refused. */
export function decodeSm2Signature(der: Uint8Array): Sm2SignatureValue {
  assertBytes(der, '签名值');
  const seq = expectTlv(der, 0, DER_TAG.SEQUENCE, 'SM2 签名');
  if (seq.end !== der.length)
    throw new AppError('CRYPTO_INVALID_INPUT', 'DER 编码不正确：SM2 签名后有多余数据');
  const rTlv = expectTlv(der, seq.contentStart, DER_TAG.INTEGER, 'r', seq.end);
  const sTlv = expectTlv(der, rTlv.end, DER_TAG.INTEGER, 's', seq.end);
  if (sTlv.end !== seq.end)
    throw new AppError('CRYPTO_INVALID_INPUT', 'DER 编码不正确：SM2 签名结构有多余元素');
  const r = decodeUnsignedInteger(der, rTlv);
  const s = decodeUnsignedInteger(der, sTlv);
  if (r < 1n || r >= SM2_CURVE.n || s < 1n || s >= SM2_CURVE.n) {
    throw new AppError('CRYPTO_INVALID_INPUT', 'SM2 签名值 r、s 必须在 [1, n-1] 内');
  }
  return { r, s };
}

/** 64-byte r ‖ s (the form GM/T 0018 devices and many JS libraries use) from/to DER. */
export function sm2SignatureToRaw(der: Uint8Array): Buffer {
  const { r, s } = decodeSm2Signature(der);
  return Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex');
}

export function sm2SignatureFromRaw(raw: Uint8Array): Buffer {
  assertBytes(raw, '签名值');
  if (raw.length !== 64)
    throw new AppError('CRYPTO_INVALID_INPUT', `SM2 裸签名值应为 64 字节，实际为 ${raw.length} 字节`);
  return encodeSm2Signature({ r: bytesToBigint(raw.subarray(0, 32)), s: bytesToBigint(raw.subarray(32)) });
}

// ---------------------------------------------------------------- SubjectPublicKeyInfo

/*
 * OpenSSL writes SM2 keys as id-ecPublicKey with the SM2 curve OID as parameters; that is
 * what we write. On reading we also accept the SM2 OID as the algorithm itself, which some
 * older GM tools emit.
 */
/** DER OBJECT IDENTIFIER 1.2.156.10197.1.301 (the SM2 curve). */
const SM2_CURVE_PARAMETERS = Buffer.from('06082a811ccf5501822d', 'hex');

function curveParameters(): ArrayBuffer {
  return Uint8Array.from(SM2_CURVE_PARAMETERS).buffer;
}

/** SubjectPublicKeyInfo DER for a 65-byte SM2 public key. */
export function publicKeyToSpki(publicKey: Uint8Array): Buffer {
  assertPublicKey(publicKey);
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: OID.ecPublicKey, parameters: curveParameters() }),
    subjectPublicKey: Uint8Array.from(publicKey).buffer,
  });
  return Buffer.from(AsnConvert.serialize(spki));
}

/** `-----BEGIN PUBLIC KEY-----` PEM, readable by `openssl pkey -pubin`. */
export function publicKeyToPem(publicKey: Uint8Array): string {
  return toPem(publicKeyToSpki(publicKey), 'PUBLIC KEY');
}

/** 65-byte public key from SubjectPublicKeyInfo DER or PEM; non-SM2 keys are refused. */
export function publicKeyFromSpki(input: string | Uint8Array): Buffer {
  const der = derFromPemOrDer(input, 'PUBLIC KEY');
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(der, SubjectPublicKeyInfo);
  } catch (cause) {
    throw new AppError('CRYPTO_INVALID_INPUT', '公钥格式不正确：无法解析 SubjectPublicKeyInfo', { cause });
  }
  const { algorithm, parameters } = spki.algorithm;
  const params = parameters ? Buffer.from(parameters) : undefined;
  const isSm2 =
    algorithm === OID.sm2Curve ||
    (algorithm === OID.ecPublicKey && params !== undefined && params.equals(SM2_CURVE_PARAMETERS));
  if (!isSm2) throw new AppError('CRYPTO_INVALID_INPUT', `公钥不是 SM2 公钥（算法 ${algorithm}）`);
  const point = Buffer.from(spki.subjectPublicKey);
  if (point.length === 33 && (point[0] === 0x02 || point[0] === 0x03)) {
    throw new AppError('CRYPTO_INVALID_INPUT', '暂不支持压缩格式的 SM2 公钥');
  }
  assertPublicKey(point);
  return point;
}

// ---------------------------------------------------------------- cross-checks (tests, bench)

/**
 * The addon's second opinions, for tests and the bench only; nothing in the application calls
 * these. `signOpenssl`/`verifyOpenssl` run OpenSSL's own SM2 (EVP, default ID) on the same key
 * handles, the independent check on our curve code. `mulBase` (k·G) and `mulAdd` (u·G + t·P)
 * expose the public-scalar arithmetic (65-byte points, null for the point at infinity; `withTable`
 * takes t·P from a table of P's multiples, as verification does for a key in frequent use);
 * `signDigestWithK` signs e with a caller-chosen k and a raw scalar, to reproduce published
 * vectors (r ‖ s, or null when that k must be rejected).
 */
export const sm2CrossCheck = {
  signOpenssl(key: Sm2PrivateKey | Uint8Array, data: Uint8Array): Buffer {
    assertBytes(data, '待签名数据');
    return loadSm2Native().signOpenssl(privateKeyHandle(key), data);
  },
  verifyOpenssl(publicKey: Uint8Array | Sm2PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
    assertBytes(data, '待验证数据');
    assertBytes(signature, '签名值');
    return loadSm2Native().verifyOpenssl(publicKeyHandle(publicKey), data, signature);
  },
  mulBase(k: Uint8Array): Buffer | null {
    return loadSm2Native().mulBase(k);
  },
  mulAdd(u: Uint8Array, t: Uint8Array, point: Uint8Array, withTable = false): Buffer | null {
    return loadSm2Native().mulAdd(u, t, point, withTable);
  },
  signDigestWithK(d: Uint8Array, e: Uint8Array, k: Uint8Array): Buffer | null {
    return loadSm2Native().testSignDigestWithK(d, e, k);
  },
};
