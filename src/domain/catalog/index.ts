/**
 * The certificate catalog: the default content shipped with the platform and pure helpers
 * over any catalog version. The store persists versions (hashing `catalogDigest` with SM3);
 * everything here works on whichever version a certificate was made under.
 */
import { AppError } from '../../errors.ts';
import { canonicalJson } from './canonical.ts';
import { CODE_TABLES } from './codeTables.ts';
import { KINDS } from './kinds.ts';
import type { CatalogContent, KindDefinition } from './types.ts';

export { canonicalJson } from './canonical.ts';
export { checkCatalog } from './check.ts';
export { CODE_TABLES, type CodeTableName } from './codeTables.ts';
export { type CatalogChange, diffCatalog } from './diff.ts';
export { KINDS } from './kinds.ts';
export type * from './types.ts';

/** Frozen so no caller can edit the shipped version in place; copy it to derive a new one. */
export const DEFAULT_CATALOG: CatalogContent = deepFreeze({ kinds: KINDS, codeTables: CODE_TABLES });

export function getKind(content: CatalogContent, code: string): KindDefinition {
  const kind = content.kinds.find((k) => k.code === code);
  if (!kind) {
    throw new AppError('KIND_UNKNOWN', `证照类型代码“${String(code)}”不在证照目录中`, {
      details: { kind: String(code) },
    });
  }
  return kind;
}

/**
 * The canonical JSON of the content (sorted keys, no whitespace): equal content gives an
 * equal string. The store hashes it with SM3 to name and verify catalog versions.
 */
export function catalogDigest(content: CatalogContent): string {
  return canonicalJson(content);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
