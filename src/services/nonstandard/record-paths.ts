import type { KindDefinition } from '../../domain/catalog/types.ts';
import { ENVELOPE_FIELDS, VALIDITY_FIELDS } from '../../domain/rules/envelope.ts';

/*
 * The record paths staff may correct in a non-standard item: the intake contract's envelope
 * fields and the kind's face fields. What identifies the record to the source system
 * (sourceRecordId, sourceVersion, event, kind, regionCode) stays as pushed: changing it would
 * make the corrected record a different licence, which only the source system may decide.
 */

export interface CorrectablePath {
  /** Record path, e.g. 'holder.id', 'face.plateNumber'. */
  path: string;
  label: string;
  required: boolean;
}

const FIXED_ENVELOPE = new Set(['regionCode']);

/**
 * Every correctable path of a record of this kind, envelope first, then the face in print
 * order. A kind missing from the catalog (withdrawn after the record came in) leaves the
 * envelope only.
 */
export function correctablePaths(kind: KindDefinition | undefined): CorrectablePath[] {
  const hasValidity = kind !== undefined && 'years' in kind.validity;
  return [
    ...ENVELOPE_FIELDS.filter((f) => !FIXED_ENVELOPE.has(f.key)).map((f) => ({
      path: f.key,
      label: f.label,
      required: VALIDITY_FIELDS.has(f.key) ? hasValidity : f.required,
    })),
    ...(kind?.fields ?? []).map((f) => ({ path: `face.${f.key}`, label: f.label, required: f.required })),
  ];
}

/** The path an issue belongs to: 'face.qualificationCategories[2]' → 'face.qualificationCategories'. */
export function issueBasePath(field: string): string {
  return field.replace(/\[\d+\]$/, '');
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function readRecordPath(record: Record<string, unknown>, path: string): unknown {
  let current: unknown = record;
  for (const step of path.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, step)) return undefined;
    current = current[step];
  }
  return current;
}

/**
 * Sets (or, for `undefined`, deletes) a value at a path of at most two steps. A container
 * that is missing or not an object (a shape error the validator reported) becomes a fresh
 * object, since the correction is what gives it its shape.
 */
export function writeRecordPath(record: Record<string, unknown>, path: string, value: unknown): void {
  const steps = path.split('.');
  let target = record;
  for (const step of steps.slice(0, -1)) {
    const next = Object.hasOwn(target, step) ? target[step] : undefined;
    if (!isPlainObject(next)) {
      if (value === undefined) return;
      define(target, step, {});
    }
    target = target[step] as Record<string, unknown>;
  }
  const last = steps[steps.length - 1]!;
  if (value === undefined) delete target[last];
  else define(target, last, value);
}

// defineProperty, so a key such as '__proto__' stays plain data.
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** JSON shapes a record value can take on the wire: text, number, list of text, or null. */
export function isRecordValue(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value === 'string') return value.length <= 2000;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) {
    return value.length <= 50 && value.every((v) => typeof v === 'string' && v.length <= 200);
  }
  return false;
}
