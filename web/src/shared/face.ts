/**
 * Chinese labels and code names for a certificate's face fields (照面信息), from the same
 * catalog data the server checks intake against (src/domain/catalog).
 */
import { CODE_TABLES } from '../../../src/domain/catalog/codeTables.ts';
import { KINDS } from '../../../src/domain/catalog/kinds.ts';

export interface FaceRow {
  key: string;
  label: string;
  value: string;
}

const tables = CODE_TABLES as Record<string, { entries: { code: string; name: string }[] }>;

function codeName(table: string | undefined, value: string): string {
  if (!table) return value;
  const entries = tables[table]?.entries ?? [];
  return entries.find((e) => e.code === value)?.name ?? value;
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map(show).join('、');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Face fields in print order with their labels; fields the catalog does not know come last. */
export function faceRows(kindCode: string, face: Record<string, unknown>): FaceRow[] {
  const kind = KINDS.find((k) => k.code === kindCode);
  const rows: FaceRow[] = [];
  const done = new Set<string>();
  for (const field of kind?.fields ?? []) {
    if (!(field.key in face)) continue;
    done.add(field.key);
    const raw = face[field.key];
    let value = show(raw);
    if (field.type === 'code' && typeof raw === 'string') value = codeName(field.codeTable, raw);
    if (field.type === 'codeSequence' && typeof raw === 'string') value = raw;
    rows.push({ key: field.key, label: field.label, value });
  }
  for (const [key, raw] of Object.entries(face)) {
    if (!done.has(key)) rows.push({ key, label: key, value: show(raw) });
  }
  return rows;
}

export function kindShortName(kindCode: string): string | undefined {
  return KINDS.find((k) => k.code === kindCode)?.shortName;
}

export function kindName(kindCode: string): string | undefined {
  return KINDS.find((k) => k.code === kindCode)?.name;
}

export function holderIdTypeName(code: string): string {
  return codeName('holderIdType', code);
}
