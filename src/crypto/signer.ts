import { availableParallelism } from 'node:os';
import { inspect } from 'node:util';
import { assertValidKeyId, unwrapPrivateKey, wrapPrivateKey } from './keystore.ts';
import {
  generateSm2KeyPair,
  Sm2PrivateKey,
  sm2Sign,
  sm2SignAsync,
  sm2SignManyAsync,
  sm2Verify,
} from './sm2.ts';

/**
 * Who signs: everything above this layer (seal certificates, OFD seals, audit anchors)
 * depends on `Signer` only, never on where the private key lives.
 *
 * Implementations:
 * - `SoftwareSigner` (here): the SM2 key wrapped under the KEK in the database, unwrapped
 *   into OpenSSL memory at boot.
 * - An HSM signer (future, GM/T 0018 SDF 密码设备接口): `keyId` maps to an internal key
 *   index; `sign` computes e = sm2Digest(publicKey, data) and calls
 *   `SDF_InternalSign_ECC(session, index, e)`, then turns the device's raw r‖s into DER
 *   with `sm2SignatureFromRaw`. The private key never leaves the device, and callers
 *   do not change.
 *
 * Contract: a Signer never exposes its private key — no property, getter, method, JSON
 * form or inspect output reveals it.
 */
export interface Signer {
  /** Stable identifier of the key (also the AAD of its wrapped form). */
  readonly keyId: string;
  readonly algorithm: 'SM2-SM3';
  /** 65-byte uncompressed public point. */
  readonly publicKey: Buffer;
  /** GB/T 32918 signature with the default ID, DER `SEQUENCE { r, s }`. */
  sign(data: Uint8Array): Promise<Buffer>;
  /** Optional blocking form, for backends that can sign in-process. */
  signSync?(data: Uint8Array): Buffer;
  /**
   * Optional batch form (bulk issuance): the same signatures as `sign` for each message, in
   * order, with less overhead per message. Use `signAll`, which falls back to `sign`.
   */
  signMany?(data: readonly Uint8Array[]): Promise<Buffer[]>;
}

/** Signs every message, through the signer's batch form when it has one. */
export function signAll(signer: Signer, data: readonly Uint8Array[]): Promise<Buffer[]> {
  if (signer.signMany) return signer.signMany(data);
  return Promise.all(data.map((d) => signer.sign(d)));
}

/** Messages per native batch job at least: smaller jobs cost more than they spread. */
const MIN_BATCH = 16;

export interface GeneratedSigner {
  readonly signer: SoftwareSigner;
  /** The private key sealed under `kek` for storage (keystore.ts format). */
  wrapped(kek: Uint8Array): string;
}

/** SM2 signer over a key held in OpenSSL memory by the native addon. */
export class SoftwareSigner implements Signer {
  readonly keyId: string;
  readonly algorithm = 'SM2-SM3' as const;
  // An ES private field: not enumerable, not reflected, not shown by util.inspect.
  readonly #key: Sm2PrivateKey;

  private constructor(keyId: string, key: Sm2PrivateKey) {
    this.keyId = keyId;
    this.#key = key;
  }

  /** Unwraps a stored key (keystore.ts) and imports it; the clear scalar is wiped at once. */
  static fromWrapped(blob: string, kek: Uint8Array, keyId: string): SoftwareSigner {
    const d = unwrapPrivateKey(blob, kek, keyId);
    try {
      return new SoftwareSigner(keyId, Sm2PrivateKey.fromScalar(d));
    } finally {
      d.fill(0);
    }
  }

  /**
   * A new key. `wrapped(kek)` seals it for storage; the clear scalar stays only inside that
   * closure, so drop the returned object once the wrapped form is saved.
   */
  static generate(keyId: string): GeneratedSigner {
    assertValidKeyId(keyId);
    const { privateKey, key } = generateSm2KeyPair();
    const signer = new SoftwareSigner(keyId, key);
    return {
      signer,
      wrapped: (kek: Uint8Array) => wrapPrivateKey(privateKey, kek, keyId),
    };
  }

  /** A copy, so a caller cannot alter the signer's idea of its own key. */
  get publicKey(): Buffer {
    return this.#key.publicKey;
  }

  sign(data: Uint8Array): Promise<Buffer> {
    return sm2SignAsync(this.#key, data);
  }

  signSync(data: Uint8Array): Buffer {
    return sm2Sign(this.#key, data);
  }

  /** One native job per core (each signs its share in turn), so a batch uses every core. */
  async signMany(data: readonly Uint8Array[]): Promise<Buffer[]> {
    const jobs = Math.max(1, Math.min(availableParallelism(), Math.floor(data.length / MIN_BATCH)));
    const size = Math.ceil(data.length / jobs);
    const parts: Promise<Buffer[]>[] = [];
    for (let start = 0; start < data.length; start += size)
      parts.push(sm2SignManyAsync(this.#key, data.slice(start, start + size)));
    return (await Promise.all(parts)).flat();
  }

  toJSON(): { keyId: string; algorithm: 'SM2-SM3'; publicKey: string } {
    return { keyId: this.keyId, algorithm: this.algorithm, publicKey: this.publicKey.toString('hex') };
  }

  [inspect.custom](): string {
    return `SoftwareSigner { keyId: ${JSON.stringify(this.keyId)}, algorithm: 'SM2-SM3' }`;
  }
}

/** Checks a signature with public material only (certificates, stored public keys). */
export function verifySignature(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  return sm2Verify(publicKey, data, signature);
}
