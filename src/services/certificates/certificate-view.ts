import { getKind } from '../../domain/catalog/index.ts';
import type { CatalogContent } from '../../domain/catalog/types.ts';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import { isOrganisationIdType, maskIfIdNumber, maskPersonName } from '../../domain/masking.ts';
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

export function kindName(catalog: CatalogContent, code: string): string {
  try {
    return getKind(catalog, code).name;
  } catch {
    return code;
  }
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
    certificateNumber: masked ? maskIfIdNumber(row.certificateNumber) : row.certificateNumber,
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
