/**
 * Column headers of an import file → record keys of the intake contract. The Chinese aliases
 * come from the catalog version in force (envelope labels and every kind's face labels), so a
 * field added to the catalog is importable under its printed label without touching this file.
 */
import type { CatalogContent, FieldDefinition, KindDefinition } from '../../domain/catalog/types.ts';
import { eventNames, type IntakeEvent, intakeEvents } from '../../domain/lifecycle.ts';
import { ENVELOPE_FIELDS, ENVELOPE_LABELS } from '../../domain/rules/envelope.ts';

/** Keys of the intake API that are not certificate data, so the catalog does not label them. */
export const INTAKE_KEYS: readonly { key: string; label: string; aliases: readonly string[] }[] = [
  { key: 'sourceRecordId', label: '源记录标识', aliases: ['源记录ID', '业务记录标识'] },
  { key: 'sourceVersion', label: '源记录版本', aliases: ['版本号'] },
  { key: 'event', label: '业务事件', aliases: ['业务类型'] },
  { key: 'kind', label: ENVELOPE_LABELS.get('kind') ?? '证照类型', aliases: ['证照类型代码'] },
  { key: 'reason', label: '原因', aliases: ['变更原因'] },
];

/** Common alternative names of envelope fields seen in source-system exports. */
const ENVELOPE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  regionCode: ['行政区划代码', '区划代码'],
  'issuer.name': ['发证机关', '颁发机构名称'],
  'issuer.code': ['发证机关代码', '颁发机构统一社会信用代码'],
  issueDate: ['发证日期'],
  'holder.name': ['持证主体名称'],
  'holder.phone': ['手机号码', '联系电话'],
  validFrom: ['有效期起'],
  validTo: ['有效期至', '有效期止'],
};

export interface ColumnTable {
  /** Normalized header → record key ('holder.id', 'face.plateNumber', 'sourceVersion'). */
  byAlias: ReadonlyMap<string, string>;
  /** Normalized headers that name different keys in different kinds: refused, not guessed. */
  ambiguous: ReadonlySet<string>;
  /** Record key → the label to show people (Chinese label and key). */
  labelOf(key: string): string;
}

/**
 * Case, width and spacing never matter: `ＩＳＳＵＥＤＡＴＥ`, `颁发日期 ` and `*颁发日期` (a template's
 * mark for required) are the same column; full-width brackets equal half-width ones.
 */
export function normalizeHeader(header: string): string {
  return header
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/^\*+|\*+$/g, '')
    .toLowerCase();
}

export function buildColumnTable(catalog: CatalogContent): ColumnTable {
  const byAlias = new Map<string, string>();
  const ambiguous = new Set<string>();
  const labels = new Map<string, string>();
  const add = (alias: string, key: string) => {
    const norm = normalizeHeader(alias);
    if (!norm || ambiguous.has(norm)) return;
    const known = byAlias.get(norm);
    if (known === undefined) byAlias.set(norm, key);
    else if (known !== key) {
      byAlias.delete(norm);
      ambiguous.add(norm);
    }
  };
  const addField = (key: string, label: string, aliases: readonly string[] = []) => {
    add(key, key);
    add(label, key);
    for (const a of aliases) add(a, key);
    if (!labels.has(key)) labels.set(key, label);
  };
  for (const f of INTAKE_KEYS) addField(f.key, f.label, f.aliases);
  for (const f of ENVELOPE_FIELDS) addField(f.key, f.label, ENVELOPE_ALIASES[f.key]);
  for (const kind of catalog.kinds) {
    for (const f of kind.fields) addField(`face.${f.key}`, f.label);
  }
  return {
    byAlias,
    ambiguous,
    labelOf: (key) => {
      const label = labels.get(key);
      return label ? `${label}（${key}）` : key;
    },
  };
}

export interface HeaderLayout {
  /** Column position (0-based) → record key, for the recognized columns. */
  columns: { index: number; key: string }[];
  keys: ReadonlySet<string>;
  /** Headers that match nothing: reported, their cells ignored. */
  unknown: string[];
  /** Problems that make the sheet unusable (a key given twice, an ambiguous name). */
  problems: string[];
}

/** Reads a header row. A header may also carry its key, as in `颁发日期(issueDate)`. */
export function resolveHeader(table: ColumnTable, header: readonly (string | null)[]): HeaderLayout {
  const columns: { index: number; key: string }[] = [];
  const seen = new Map<string, string>();
  const unknown: string[] = [];
  const problems: string[] = [];
  header.forEach((raw, index) => {
    if (raw === null) return;
    const text = raw.trim();
    if (!text) return;
    const norm = normalizeHeader(text);
    const withKey = /\(([a-z][a-z.]*)\)$/.exec(norm);
    const key =
      (withKey ? table.byAlias.get(withKey[1]!) : undefined) ??
      table.byAlias.get(norm) ??
      // Face keys may be written bare (`plateNumber`) as long as no envelope key is meant.
      table.byAlias.get(`face.${norm}`);
    if (key === undefined) {
      if (table.ambiguous.has(norm)) problems.push(`列名“${text}”在不同证照类型中含义不同，请改用字段键名`);
      else unknown.push(text);
      return;
    }
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push(`列“${earlier}”与列“${text}”都表示${table.labelOf(key)}`);
      return;
    }
    seen.set(key, text);
    columns.push({ index, key });
  });
  return { columns, keys: new Set(columns.map((c) => c.key)), unknown, problems };
}

/**
 * Columns a sheet must have for one kind. Data columns are required only when some row of the
 * kind carries certificate data (a sheet of revocations needs no face columns). Required
 * *cells* are not checked here: an empty one makes that row non-standard, not the file unusable.
 */
export function missingColumns(
  layout: HeaderLayout,
  kind: KindDefinition | undefined,
  opts: { kindFromSheet: boolean; hasDataEvents: boolean },
): string[] {
  const required: string[] = ['sourceRecordId', 'regionCode'];
  if (!opts.kindFromSheet) required.push('kind');
  if (opts.hasDataEvents) {
    // Without a known kind only the envelope can be asked for; the rows then fail on their kind.
    const expires = kind !== undefined && 'years' in kind.validity;
    for (const f of ENVELOPE_FIELDS) {
      if (!f.required) continue;
      if ((f.key === 'validFrom' || f.key === 'validTo') && !expires) continue;
      if (f.key === 'regionCode') continue;
      required.push(f.key);
    }
    for (const f of kind?.fields ?? []) if (f.required) required.push(`face.${f.key}`);
  }
  return required.filter((k) => !layout.keys.has(k));
}

/** Kind codes by every name a person may use for a kind: code, full name, short name. */
export function kindLookup(catalog: CatalogContent): (value: string) => string | undefined {
  const byName = new Map<string, string>();
  for (const k of catalog.kinds) {
    for (const name of [k.code, k.name, k.shortName]) byName.set(normalizeHeader(name), k.code);
  }
  return (value) => byName.get(normalizeHeader(value));
}

/** Intake events by code or by their Chinese name (eventNames), e.g. 年度审验 → annual_review. */
export function eventLookup(): (value: string) => IntakeEvent | undefined {
  const byName = new Map<string, IntakeEvent>();
  for (const e of intakeEvents) {
    byName.set(normalizeHeader(e), e);
    byName.set(normalizeHeader(eventNames[e]), e);
  }
  return (value) => byName.get(normalizeHeader(value));
}

/** Field definition of a record key for a kind: envelope fields, then the kind's face fields. */
export function fieldOf(key: string, kind: KindDefinition | undefined): FieldDefinition | undefined {
  if (key.startsWith('face.')) return kind?.fields.find((f) => f.key === key.slice(5));
  return ENVELOPE_FIELDS.find((f) => f.key === key);
}
