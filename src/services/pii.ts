import { blindIndex, deriveKey } from '../crypto/kdf.ts';
import { sm4Open, sm4Seal } from '../crypto/sm4.ts';

/**
 * Personal identifiers (ID numbers, phones) at rest: SM4-sealed, with a keyed SM3 blind index
 * per field so equality lookups work without decrypting. Keys derive from the configured KEK;
 * the field name is bound as associated data, so a value cannot be moved to another column
 * unnoticed.
 */
export class PiiVault {
  readonly #kek: Buffer;
  readonly #encKey: Buffer;
  readonly #indexKeys = new Map<string, Buffer>();

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
    let key = this.#indexKeys.get(field);
    if (!key) {
      key = deriveKey(this.#kek, `pii-index:${field}`, 32);
      this.#indexKeys.set(field, key);
    }
    return blindIndex(key, value);
  }

  toJSON(): string {
    return '[PiiVault]';
  }
}
