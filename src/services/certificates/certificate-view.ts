import { getKind } from '../../domain/catalog/index.ts';
import type { CatalogContent } from '../../domain/catalog/types.ts';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import { maskIdNumber, maskPersonName } from '../../domain/masking.ts';
import { getRegion } from '../../domain/regions.ts';
import type { certificates } from '../../store/schema.ts';

type CertificateRow = typeof certificates.$inferSelect;

export interface CertificateSummary {
  identifier: string;
  version: number;
  kind: { code: string; name: string };
  regionCode: string;
  regionName: string;
  certificateNumber: string;
  holderName: string;
  status: CertificateStatus;
  statusCode: string;
  statusName: string;
  issueDate: string;
  validFrom: string | null;
  validTo: string | null;
  signedAt: string;
}

/** A certificate number that is an ID number (从业资格证) is personal data: masked in lists. */
export function maskedNumber(number: string): string {
  return /^\d{17}[\dX]$/.test(number) ? maskIdNumber(number) : number;
}

export function kindName(catalog: CatalogContent, code: string): string {
  try {
    return getKind(catalog, code).name;
  } catch {
    return code;
  }
}

/** Organisations (USCC, other organisation codes) are public; natural persons' names are masked. */
export function isOrganisationIdType(idType: string): boolean {
  return idType === '001' || idType === '099';
}

export function toSummary(
  row: CertificateRow,
  catalog: CatalogContent,
  holder: { name: string; idType: string },
  masked: boolean,
): CertificateSummary {
  const status = row.status as CertificateStatus;
  return {
    identifier: row.identifier,
    version: row.version,
    kind: { code: row.kindCode, name: kindName(catalog, row.kindCode) },
    regionCode: row.regionCode,
    regionName: getRegion(row.regionCode)?.fullName ?? row.regionCode,
    certificateNumber: masked ? maskedNumber(row.certificateNumber) : row.certificateNumber,
    holderName: masked && !isOrganisationIdType(holder.idType) ? maskPersonName(holder.name) : holder.name,
    status,
    statusCode: certificateStatusCodes[status].code,
    statusName: certificateStatusCodes[status].name,
    issueDate: row.issueDate,
    validFrom: row.validFrom,
    validTo: row.validTo,
    signedAt: row.signedAt.toISOString(),
  };
}
