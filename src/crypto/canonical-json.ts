/**
 * RFC 8785 (JSON Canonicalization Scheme) serialization, byte for byte what the `canonicalize`
 * package gives for JSON data, written for the bulk issuance path where it runs once per
 * certificate: object keys sorted by UTF-16 code units, strings and numbers as ECMAScript's
 * JSON.stringify writes them (which is what RFC 8785 prescribes), no whitespace. Refuses what
 * has no canonical form: NaN and infinities, strings with lone surrogates, values JSON cannot
 * hold (functions, symbols, bigints), and cycles (reported as nesting too deep).
 */

const MAX_DEPTH = 64;

// `String.prototype.isWellFormed` is in Node 20 (V8 11.3) but not in the ES2023 lib typings.
const isWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean })
  .isWellFormed;

function str(s: string): string {
  if (!isWellFormed.call(s)) throw new Error('Lone surrogate is not allowed');
  return JSON.stringify(s);
}

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return str(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`${value} is not allowed`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new Error(`a ${typeof value} cannot be canonicalized`);
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) throw new Error('nesting too deep (or a circular reference)');
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(value), depth + 1);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) out += ',';
      out += item === undefined || typeof item === 'symbol' ? 'null' : write(item, depth + 1);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = object[key];
    if (item === undefined || typeof item === 'symbol') continue;
    out += `${first ? '' : ','}${str(key)}:${write(item, depth + 1)}`;
    first = false;
  }
  return `${out}}`;
}

/** The RFC 8785 canonical JSON text of `value`. */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}
