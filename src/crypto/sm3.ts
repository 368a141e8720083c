import { createHash, createHmac } from 'node:crypto';

/** SM3 digest (GB/T 32905) through Node's OpenSSL. */
export function sm3(data: Uint8Array | string): Buffer {
  return createHash('sm3').update(data).digest();
}

export function sm3Hex(data: Uint8Array | string): string {
  return createHash('sm3').update(data).digest('hex');
}

/** HMAC-SM3 (GB/T 15852.2 with SM3), used for client request signatures and blind indexes. */
export function hmacSm3(key: Uint8Array | string, data: Uint8Array | string): Buffer {
  return createHmac('sm3', key).update(data).digest();
}
