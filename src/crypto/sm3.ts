import * as nodeCrypto from 'node:crypto';

/*
 * SM3 (GB/T 32905) and HMAC-SM3 through Node's OpenSSL. `crypto.hash` (one call, no Hash object,
 * Node >= 20.12, which package.json requires) costs a fraction of createHash for the small inputs
 * hashed here: audit records, signed data, request signatures.
 */

/** SM3 digest. */
export function sm3(data: Uint8Array | string): Buffer {
  return nodeCrypto.hash('sm3', data, 'buffer') as unknown as Buffer;
}

export function sm3Hex(data: Uint8Array | string): string {
  return nodeCrypto.hash('sm3', data, 'hex');
}

const SM3_BLOCK = 64;
const SM3_LENGTH = 32;

/**
 * HMAC-SM3 (GB/T 15852.2 / RFC 2104 with SM3) for one key and many messages, from two one-shot
 * SM3 calls over reused buffers that start with the padded key: a Node Hmac object per message
 * costs several times the hashing itself. Not for concurrent use across await points (it is
 * synchronous, so within one call it is safe).
 */
export class Sm3Hmac {
  readonly #outer = Buffer.alloc(SM3_BLOCK + SM3_LENGTH);
  #inner = Buffer.alloc(SM3_BLOCK + 256);

  constructor(key: Uint8Array) {
    // RFC 2104: a key longer than the block is hashed first.
    const k = key.length > SM3_BLOCK ? sm3(key) : key;
    for (let i = 0; i < SM3_BLOCK; i++) {
      const b = k[i] ?? 0;
      this.#inner[i] = b ^ 0x36;
      this.#outer[i] = b ^ 0x5c;
    }
  }

  /** HMAC of the concatenation of `parts`. */
  mac(parts: readonly Uint8Array[]): Buffer {
    let length = SM3_BLOCK;
    for (const p of parts) length += p.length;
    if (length > this.#inner.length) {
      const grown = Buffer.alloc(Math.max(length, this.#inner.length * 2));
      this.#inner.copy(grown, 0, 0, SM3_BLOCK);
      this.#inner = grown;
    }
    let at = SM3_BLOCK;
    for (const p of parts) {
      this.#inner.set(p, at);
      at += p.length;
    }
    this.#outer.set(sm3(this.#inner.subarray(0, length)), SM3_BLOCK);
    return sm3(this.#outer);
  }
}

const utf8 = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/** HMAC-SM3, used for client request signatures and blind indexes. */
export function hmacSm3(key: Uint8Array | string, data: Uint8Array | string): Buffer {
  return new Sm3Hmac(utf8(key)).mac([utf8(data)]);
}
