import { AppError } from '../errors.ts';
import { bigintToFixedBytes, bytesToBigint } from './der.ts';
import { SM2_COORD_LENGTH, SM2_CURVE, SM2_PUBLIC_KEY_LENGTH } from './sm2-curve.ts';

/**
 * GB/T 32918.2 signing and verification in plain BigInt arithmetic, written straight from
 * the standard. It is slow, variable-time and takes an explicit k, so it is for tests only:
 * it reproduces the published vector (which needs a chosen k) and gives an implementation
 * independent of OpenSSL to check the native path against. Never sign real data with it.
 *
 * It works on e = SM3(Z_A ‖ M) (see `sm2Digest` in sm2.ts), keeping the curve math separate
 * from the hashing.
 */

type Point = { x: bigint; y: bigint } | null; // null is the point at infinity

const { p, a, n, gx, gy } = SM2_CURVE;
const G: Point = { x: gx, y: gy };

function mod(x: bigint, m: bigint): bigint {
  const r = x % m;
  return r < 0n ? r + m : r;
}

function inverse(x: bigint, m: bigint): bigint {
  // Extended Euclid; m is prime and x is non-zero mod m wherever this is called.
  let [oldR, r] = [mod(x, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function add(P: Point, Q: Point): Point {
  if (P === null) return Q;
  if (Q === null) return P;
  if (P.x === Q.x) {
    if (mod(P.y + Q.y, p) === 0n) return null;
    const l = mod((3n * P.x * P.x + a) * inverse(2n * P.y, p), p);
    const x = mod(l * l - 2n * P.x, p);
    return { x, y: mod(l * (P.x - x) - P.y, p) };
  }
  const l = mod((Q.y - P.y) * inverse(Q.x - P.x, p), p);
  const x = mod(l * l - P.x - Q.x, p);
  return { x, y: mod(l * (P.x - x) - P.y, p) };
}

function multiply(k: bigint, P: Point): Point {
  let result: Point = null;
  let addend = P;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

function isOnCurve(P: { x: bigint; y: bigint }): boolean {
  return mod(P.y * P.y - (P.x * P.x * P.x + a * P.x + SM2_CURVE.b), p) === 0n;
}

function scalar(value: bigint | Uint8Array): bigint {
  return typeof value === 'bigint' ? value : bytesToBigint(value);
}

function pointFromBytes(publicKey: Uint8Array): { x: bigint; y: bigint } {
  if (publicKey.length !== SM2_PUBLIC_KEY_LENGTH || publicKey[0] !== 0x04) {
    throw new AppError('CRYPTO_INVALID_INPUT', 'SM2 公钥应为 65 字节非压缩点（04‖x‖y）');
  }
  const P = {
    x: bytesToBigint(publicKey.subarray(1, 33)),
    y: bytesToBigint(publicKey.subarray(33, 65)),
  };
  if (P.x >= p || P.y >= p || !isOnCurve(P)) throw new AppError('CRYPTO_INVALID_INPUT', 'SM2 公钥不在曲线上');
  return P;
}

/** P = dG as a 65-byte uncompressed point. */
export function referencePublicKey(privateKey: bigint | Uint8Array): Buffer {
  const d = scalar(privateKey);
  if (d < 1n || d > n - 2n) throw new AppError('CRYPTO_INVALID_INPUT', 'SM2 私钥超出范围 [1, n-2]');
  const P = multiply(d, G)!;
  return Buffer.concat([
    Buffer.from([0x04]),
    bigintToFixedBytes(P.x, SM2_COORD_LENGTH),
    bigintToFixedBytes(P.y, SM2_COORD_LENGTH),
  ]);
}

/**
 * GB/T 32918.2 §6.1 steps A3–A7 with the caller's k. Returns null when this k must be
 * rejected (r = 0, r + k = n or s = 0), as the standard says to pick another k.
 */
export function referenceSign(opts: {
  privateKey: bigint | Uint8Array;
  e: bigint | Uint8Array;
  k: bigint | Uint8Array;
}): { r: bigint; s: bigint } | null {
  const d = scalar(opts.privateKey);
  const e = scalar(opts.e);
  const k = scalar(opts.k);
  if (k < 1n || k >= n) throw new AppError('CRYPTO_INVALID_INPUT', 'k 超出范围 [1, n-1]');
  const kG = multiply(k, G)!;
  const r = mod(e + kG.x, n);
  if (r === 0n || r + k === n) return null;
  const s = mod(inverse(1n + d, n) * (k - r * d), n);
  if (s === 0n) return null;
  return { r, s };
}

/** GB/T 32918.2 §7.1 steps B1–B7. */
export function referenceVerify(
  publicKey: Uint8Array,
  e: bigint | Uint8Array,
  signature: { r: bigint; s: bigint },
): boolean {
  const P = pointFromBytes(publicKey);
  const { r, s } = signature;
  if (r < 1n || r >= n || s < 1n || s >= n) return false;
  const t = mod(r + s, n);
  if (t === 0n) return false;
  const point = add(multiply(s, G), multiply(t, P));
  if (point === null) return false;
  return mod(scalar(e) + point.x, n) === r;
}
