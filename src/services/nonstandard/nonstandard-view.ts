import { eq } from 'drizzle-orm';
import type { CatalogContent, KindDefinition } from '../../domain/catalog/types.ts';
import { eventNames, type IntakeEvent } from '../../domain/lifecycle.ts';
import {
  isOrganisationIdType,
  maskIdNumber,
  maskIfIdNumber,
  maskPersonName,
  maskPhone,
} from '../../domain/masking.ts';
import { getRegion } from '../../domain/regions.ts';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { nonstandardItems } from '../../store/schema.ts';
import type { IntakeError } from '../intake/types.ts';
import type { PiiVault } from '../pii.ts';
import { correctablePaths, issueBasePath, readRecordPath } from './record-paths.ts';

export type NonstandardItemRow = typeof nonstandardItems.$inferSelect;
export type NonstandardStatus = 'open' | 'resolved' | 'replaced';

export const statusNames: Record<NonstandardStatus, string> = {
  open: '待补正',
  resolved: '已补正并签发',
  replaced: '已被新推送替换',
};

/** One item as lists show it: personal data masked, no full record. */
export interface NonstandardSummary {
  id: string;
  sourceRecordId: string;
  sourceVersion: number;
  kind: string;
  kindName: string;
  regionCode: string;
  regionName: string;
  event: string;
  eventName: string;
  status: NonstandardStatus;
  statusName: string;
  certificateNumber: string | null;
  holderName: string | null;
  holderId: string | null;
  issues: IntakeError[];
  corrections: number;
  identifier: string | null;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string): boolean => UUID.test(id);

/** An item by id, optionally row-locked for a change; the caller checks the region scope. */
export async function findNonstandardItem(
  db: Db,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<NonstandardItemRow> {
  if (!isUuid(id)) throw new AppError('NOT_FOUND', '不规范数据不存在');
  const query = db.select().from(nonstandardItems).where(eq(nonstandardItems.id, id));
  const [row] = opts.forUpdate ? await query.for('update') : await query;
  if (!row) throw new AppError('NOT_FOUND', '不规范数据不存在');
  return row;
}

export function openRecord(vault: PiiVault, row: NonstandardItemRow): Record<string, unknown> {
  const parsed: unknown = JSON.parse(vault.open('nonstandard.record', row.recordEnc));
  // The intake layer only keeps JSON objects, so anything else means a damaged row.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`nonstandard item ${row.id} holds no record object`);
  }
  return parsed as Record<string, unknown>;
}

export function findKind(catalog: CatalogContent, code: string): KindDefinition | undefined {
  return catalog.kinds.find((k) => k.code === code);
}

/* ─────────────── masking: lists and the audit trail never carry raw personal data ─────────────── */

// Organisations (USCC, other organisation codes) are public; anything else, including a missing
// or malformed type in a non-standard record, is treated as a natural person.
const PERSON_NAME_PATHS = new Set(['holder.name', 'face.name', 'face.ownerName', 'face.legalRepresentative']);

function isOrganisation(record: Record<string, unknown>): boolean {
  return isOrganisationIdType(readRecordPath(record, 'holder.idType'));
}

/** A certificate number that is (or stands for) an ID number, e.g. 从业资格证号 = holder ID. */
function isIdLikeNumber(value: string, record: Record<string, unknown>, kind?: KindDefinition): boolean {
  if (maskIfIdNumber(value) !== value) return true;
  if (value === readRecordPath(record, 'holder.id') && !isOrganisation(record)) return true;
  return !!kind?.crossChecks.some(
    (c) => c.type === 'fieldsEqual' && c.field === 'certificateNumber' && c.other === 'holder.id',
  );
}

/**
 * The masked form of one record value for the audit trail. Identifiers, phone numbers, names
 * of persons, birth dates and addresses are masked whatever the holder type: the trail is
 * kept for years and cannot be edited, so it errs on the side of holding less.
 */
export function maskForAudit(
  path: string,
  value: unknown,
  record: Record<string, unknown>,
  kind?: KindDefinition,
): unknown {
  if (value === undefined || value === null) return null;
  const text = typeof value === 'string' ? value : null;
  switch (path) {
    case 'holder.id':
      return text === null ? '***' : maskIdNumber(text);
    case 'holder.phone':
      return text === null ? '***' : maskPhone(text);
    case 'certificateNumber':
      if (text === null) return '***';
      return isIdLikeNumber(text, record, kind) ? maskIdNumber(text) : text;
    case 'face.birthDate':
      return text === null ? '***' : `${text.slice(0, 4)}-**-**`;
    case 'face.address':
      return text === null ? '***' : `${[...text].slice(0, 6).join('')}***`;
  }
  if (PERSON_NAME_PATHS.has(path)) return text === null ? '***' : maskPersonName(text);
  return value;
}

/** Masked holder data for lists; organisation names are public and stay readable. */
function maskedHolder(record: Record<string, unknown>, kind?: KindDefinition) {
  const name = readRecordPath(record, 'holder.name');
  const id = readRecordPath(record, 'holder.id');
  const number = readRecordPath(record, 'certificateNumber');
  return {
    holderName: typeof name === 'string' ? (isOrganisation(record) ? name : maskPersonName(name)) : null,
    holderId: typeof id === 'string' ? maskIdNumber(id) : null,
    certificateNumber:
      typeof number === 'string'
        ? isIdLikeNumber(number, record, kind)
          ? maskIdNumber(number)
          : number
        : null,
  };
}

export function toSummary(
  row: NonstandardItemRow,
  record: Record<string, unknown>,
  catalog: CatalogContent,
): NonstandardSummary {
  const kind = findKind(catalog, row.kindCode);
  const status = row.status as NonstandardStatus;
  return {
    id: row.id,
    sourceRecordId: row.sourceRecordId,
    sourceVersion: row.sourceVersion,
    kind: row.kindCode,
    kindName: kind?.name ?? row.kindCode,
    regionCode: row.regionCode,
    regionName: getRegion(row.regionCode)?.fullName ?? row.regionCode,
    event: row.event,
    eventName: eventNames[row.event as IntakeEvent] ?? row.event,
    status,
    statusName: statusNames[status] ?? row.status,
    ...maskedHolder(record, kind),
    issues: row.errors as IntakeError[],
    corrections: row.corrections,
    identifier: row.identifier,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
  };
}

/** One correctable field of the record with the issues found on it. */
export interface NonstandardField {
  path: string;
  label: string;
  required: boolean;
  /** False for a face key the catalog does not define: it can only be deleted (set to null). */
  catalogField: boolean;
  value: unknown;
  issues: IntakeError[];
}

/** The full record for correction by staff of its region (personal data in clear). */
export interface NonstandardDetail {
  item: NonstandardSummary;
  catalogVersion: number;
  record: Record<string, unknown>;
  fields: NonstandardField[];
  /** Issues on no correctable field (kind, region, the record's shape): only a new push fixes them. */
  otherIssues: IntakeError[];
}

export function toDetail(
  row: NonstandardItemRow,
  record: Record<string, unknown>,
  catalog: { version: number; content: CatalogContent },
): NonstandardDetail {
  const kind = findKind(catalog.content, row.kindCode);
  const issues = row.errors as IntakeError[];
  const byPath = new Map<string, IntakeError[]>();
  for (const issue of issues) {
    const path = issueBasePath(issue.field);
    byPath.set(path, [...(byPath.get(path) ?? []), issue]);
  }
  const fields: NonstandardField[] = correctablePaths(kind).map((p) => ({
    ...p,
    catalogField: true,
    value: readRecordPath(record, p.path) ?? null,
    issues: byPath.get(p.path) ?? [],
  }));
  const known = new Set(fields.map((f) => f.path));
  const face = readRecordPath(record, 'face');
  if (typeof face === 'object' && face !== null && !Array.isArray(face)) {
    for (const key of Object.keys(face)) {
      const path = `face.${key}`;
      if (known.has(path)) continue;
      known.add(path);
      fields.push({
        path,
        label: key,
        required: false,
        catalogField: false,
        value: (face as Record<string, unknown>)[key] ?? null,
        issues: byPath.get(path) ?? [],
      });
    }
  }
  return {
    item: toSummary(row, record, catalog.content),
    catalogVersion: catalog.version,
    record,
    fields,
    otherIssues: issues.filter((i) => !known.has(issueBasePath(i.field))),
  };
}
