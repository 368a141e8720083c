import { createCipheriv, randomBytes } from 'node:crypto';
import { blindIndex, deriveKey, normalizeIdentifier } from '../crypto/kdf.ts';
import { Sm3Hmac } from '../crypto/sm3.ts';
import { sm4Open, sm4Seal } from '../crypto/sm4.ts';
import { AppError } from '../errors.ts';

/**
 * Personal identifiers (ID numbers, phones) at rest: SM4-sealed, with a keyed SM3 blind index
 * per field so equality lookups work without decrypting. Keys derive from the configured KEK;
 * the field name is bound as associated data, so a value cannot be moved to another column
 * unnoticed.
 *
 * `sealMany` and `indexMany` are the bulk forms (bulk issuance seals a few values per record):
 * the same output as `seal` and `index` value by value — any sealed value opens with `open` —
 * but one random draw for all the IVs, one SM4 key schedule for all the keystream, and HMACs
 * from one-shot SM3 calls instead of a cipher, an HMAC and a random draw per value.
 */
export class PiiVault {
  readonly #kek: Buffer;
  readonly #encKey: Buffer;
  readonly #indexKeys = new Map<string, Buffer>();
  #batch: BatchKeys | undefined;
  readonly #indexMacs = new Map<string, Sm3Hmac>();

  constructor(kek: Buffer) {
    this.#kek = kek;
    this.#encKey = deriveKey(kek, 'pii-enc', 16);
  }

  seal(field: string, value: string): string {
    return sm4Seal(this.#encKey, Buffer.from(value, 'utf8'), Buffer.from(field, 'utf8')).toString('base64');
  }

  open(field: string, sealed: string): string {
    return sm4Open(this.#encKey, Buffer.from(sealed, 'base64'), Buffer.from(field, 'utf8')).toString('utf8');
  }

  index(field: string, value: string): string {
    return blindIndex(this.#indexKey(field), value);
  }

  /** `seal(field, v)` for every value (strings as UTF-8, or the bytes themselves), in order. */
  sealMany(field: string, values: readonly (string | Uint8Array)[]): string[] {
    if (values.length === 0) return [];
    this.#batch ??= batchKeys(this.#encKey);
    return sealAll(this.#batch, Buffer.from(field, 'utf8'), values);
  }

  /** `index(field, v)` for every value, in order. */
  indexMany(field: string, values: readonly string[]): string[] {
    let mac = this.#indexMacs.get(field);
    if (!mac) {
      mac = new Sm3Hmac(this.#indexKey(field));
      this.#indexMacs.set(field, mac);
    }
    return values.map((value) => {
      // The checks and the normal form of blindIndex (kdf.ts), so both give the same index.
      if (typeof value !== 'string') throw new AppError('CRYPTO_INVALID_INPUT', '盲索引的值必须是字符串');
      const normalized = normalizeIdentifier(value);
      if (normalized.length === 0) throw new AppError('CRYPTO_INVALID_INPUT', '盲索引的值不能为空');
      return mac.mac([Buffer.from(normalized, 'utf8')]).toString('hex');
    });
  }

  #indexKey(field: string): Buffer {
    let key = this.#indexKeys.get(field);
    if (!key) {
      key = deriveKey(this.#kek, `pii-index:${field}`, 32);
      this.#indexKeys.set(field, key);
    }
    return key;
  }

  toJSON(): string {
    return '[PiiVault]';
  }
}

/*
 * The sealed format is sm4.ts's (encrypt-then-MAC, SM4-CTR and HMAC-SM3 under sub-keys derived
 * from the caller's key):
 *
 *   sealed = 0x01 ‖ iv(16) ‖ SM4-CTR(encKey, iv, plaintext) ‖ tag(32)
 *   tag    = HMAC-SM3(macKey, 0x01 ‖ iv ‖ len(aad) as u64be ‖ aad ‖ ciphertext)
 *
 * A test opens what sealAll writes with sm4Open, so the two cannot drift apart unnoticed.
 */
const FORMAT_V1 = 0x01;
const BLOCK = 16;
const HEADER = 1 + BLOCK;
const TAG = 32;

interface BatchKeys {
  encKey: Buffer;
  mac: Sm3Hmac;
}

function batchKeys(key: Buffer): BatchKeys {
  return { encKey: deriveKey(key, 'sm4-seal:enc', 16), mac: new Sm3Hmac(deriveKey(key, 'sm4-seal:mac', 32)) };
}

/**
 * The SM4-CTR counter blocks of several messages, one after another: for the message of IV `iv`
 * and `length` bytes, iv, iv + 1, … (as a 128-bit big-endian number, wrapping, as OpenSSL counts)
 * — one block per 16 bytes or part. Encrypted by one SM4-ECB pass they are every keystream at once.
 */
export function counterBlocks(ivs: Buffer, lengths: readonly number[]): Buffer {
  let blocks = 0;
  for (const length of lengths) blocks += Math.ceil(length / BLOCK);
  const counters = Buffer.allocUnsafe(blocks * BLOCK);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const n = Math.ceil(lengths[i]! / BLOCK);
    if (n === 0) continue;
    ivs.copy(counters, at, i * BLOCK, (i + 1) * BLOCK);
    at += BLOCK;
    // Each further block is the previous one plus 1 (byte by byte: a Buffer#copy per 16 bytes
    // costs more than the loop).
    for (let b = 1; b < n; b++, at += BLOCK) {
      for (let k = 0; k < BLOCK; k++) counters[at + k] = counters[at - BLOCK + k]!;
      for (let k = at + BLOCK - 1; k >= at; k--) {
        const next = (counters[k]! + 1) & 0xff;
        counters[k] = next;
        if (next !== 0) break;
      }
    }
  }
  return counters;
}

function sealAll(keys: BatchKeys, aad: Buffer, values: readonly (string | Uint8Array)[]): string[] {
  const plaintexts = values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v));
  const ivs = randomBytes(BLOCK * plaintexts.length);
  const counters = counterBlocks(
    ivs,
    plaintexts.map((p) => p.length),
  );
  const ecb = createCipheriv('sm4-ecb', keys.encKey, null).setAutoPadding(false);
  const keystream = counters.length > 0 ? ecb.update(counters) : Buffer.alloc(0);
  ecb.final();
  const aadLength = Buffer.alloc(8);
  aadLength.writeBigUInt64BE(BigInt(aad.length));
  const out: string[] = new Array(plaintexts.length);
  let ks = 0;
  for (let i = 0; i < plaintexts.length; i++) {
    const p = plaintexts[i]!;
    const sealed = Buffer.allocUnsafe(HEADER + p.length + TAG);
    sealed[0] = FORMAT_V1;
    ivs.copy(sealed, 1, i * BLOCK, (i + 1) * BLOCK);
    for (let j = 0; j < p.length; j++) sealed[HEADER + j] = p[j]! ^ keystream[ks + j]!;
    ks += Math.ceil(p.length / BLOCK) * BLOCK;
    const header = sealed.subarray(0, HEADER);
    const ciphertext = sealed.subarray(HEADER, HEADER + p.length);
    keys.mac.mac([header, aadLength, aad, ciphertext]).copy(sealed, HEADER + p.length);
    out[i] = sealed.toString('base64');
  }
  return out;
}
