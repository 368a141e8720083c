/**
 * Shape of the certificate catalog (电子证照目录, R-5.1). The catalog is data: the store
 * keeps each version, every certificate records the version it was made under, and the
 * standard checks read their rules from it, so changing a field here changes validation
 * without touching code.
 */

/**
 * How a value is checked (see `rules/fieldTypes.ts`, one entry per type):
 * - string: text, optional maxLength / pattern;
 * - date: `YYYY-MM-DD`, a real day;
 * - code: one code of `codeTable`;
 * - codeSequence: codes of `codeTable` written together, e.g. 准驾车型 "A2" or "C1E";
 * - integer: a JSON integer, optional min / max;
 * - capacity: positive number + 吨 or 座 ("40吨", "45座");
 * - stringList: non-empty array of strings, each in `codeTable` when given;
 * - plate: a GA 36 plate number;
 * - citizenId, uscc, holderId, region, phone: used by the record envelope (holder.id is
 *   checked according to holder.idType).
 */
export type FieldType =
  | 'string'
  | 'date'
  | 'code'
  | 'codeSequence'
  | 'integer'
  | 'capacity'
  | 'stringList'
  | 'plate'
  | 'citizenId'
  | 'uscc'
  | 'holderId'
  | 'region'
  | 'phone';

export interface FieldDefinition {
  /** Wire key inside `face` (or a dotted path for envelope fields). */
  key: string;
  /** Chinese label as printed on the certificate; used in every message. */
  label: string;
  type: FieldType;
  required: boolean;
  /** In characters (code points), not bytes. */
  maxLength?: number;
  codeTable?: string;
  /** Which side of the code table the wire carries; default 'code'. */
  codeMatch?: 'code' | 'name' | 'codeOrName';
  /** Regex source the whole value must match (string fields). */
  pattern?: string;
  /** Chinese description of `pattern`, shown when it fails. */
  patternDescription?: string;
  min?: number;
  max?: number;
  /** A date that cannot lie after today (birth, first issue). */
  notFuture?: boolean;
}

/** Checks between fields of one record; see `rules/crossChecks.ts`. Paths are record paths. */
export type CrossCheck =
  /** `earlier` ≤ `later` (or <). The issue is reported on `reportOn`, by default `later`. */
  | { type: 'dateOrder'; earlier: string; later: string; allowEqual: boolean; reportOn?: 'earlier' | 'later' }
  | { type: 'birthDateMatchesHolderId'; field: string }
  | { type: 'genderMatchesHolderId'; field: string }
  | { type: 'fieldsEqual'; field: string; other: string };

export type Family = 'practitioner' | 'business' | 'vehicle';

export type Validity = { years: number } | { none: true };

export type ReviewRule =
  /** 年度审验 once a year. */
  | { kind: 'annual'; note: string }
  /** Renewed (换证 / 延续注册) within `renewWithinDays` before expiry, every `everyYears` if set. */
  | { kind: 'renewal'; renewWithinDays: number; everyYears?: number; note: string }
  | { kind: 'none'; note?: string };

export interface KindDefinition {
  /** 21-character MOT 证照类型代码. */
  code: string;
  name: string;
  shortName: string;
  family: Family;
  standard: string;
  /** Face fields (照面信息), in print order. */
  fields: FieldDefinition[];
  /** Regex source the certificate number must match. */
  numberPattern: string;
  numberDescription: string;
  validity: Validity;
  review: ReviewRule;
  /** 归集起始时间, `YYYY-MM-DD`. */
  collectionStartDate: string;
  templateId: string;
  /** Allowed 持证主体代码类型 codes. */
  holderIdTypes: string[];
  crossChecks: CrossCheck[];
}

export interface CodeEntry {
  code: string;
  name: string;
}

export interface CodeTable {
  name: string;
  /** Where the entries come from, and how sure we are. */
  source: string;
  entries: CodeEntry[];
}

export interface CatalogContent {
  kinds: KindDefinition[];
  codeTables: Record<string, CodeTable>;
}
