import { and, asc, eq } from 'drizzle-orm';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import { AppError } from '../../errors.ts';
import { certificates } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { toSummary } from '../certificates/certificate-view.ts';
import type { CertificateDetail } from '../certificates/query-certificates.ts';
import type { ServiceContext } from '../context.ts';
import type { CertificateAssertion } from '../issuance/seal-certificate.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { HolderPrincipal } from './holder-session.ts';
import { recordHolderRead } from './policy.ts';

export interface HolderCertificateVersion {
  identifier: string;
  version: number;
  status: CertificateStatus;
  statusCode: string;
  statusName: string;
  event: string;
  issueDate: string;
  signedAt: string;
}

export interface HolderCertificateDetail extends CertificateDetail {
  /** The holder's versions of this certificate, oldest first (年审、变更、换发 each made one). */
  versions: HolderCertificateVersion[];
}

/**
 * One of the holder's certificates with its face data, the proof (signed bytes, SM2 signature,
 * seal certificate) and its versions. A certificate of anyone else is "not found", exactly like
 * an identifier that does not exist, so identifiers cannot be probed. Audited as a read.
 */
export async function getHolderCertificate(
  ctx: ServiceContext,
  keyring: Keyring,
  holder: HolderPrincipal,
  identifier: string,
): Promise<HolderCertificateDetail> {
  const [row] = await ctx.db
    .select()
    .from(certificates)
    .where(and(eq(certificates.identifier, identifier), eq(certificates.holderId, holder.holderId)));
  if (!row) throw new AppError('NOT_FOUND', '电子证照不存在');
  // Only versions held by this holder: an earlier version may belong to a former holder.
  const versions = await ctx.db
    .select()
    .from(certificates)
    .where(and(eq(certificates.serial, row.serial), eq(certificates.holderId, holder.holderId)))
    .orderBy(asc(certificates.version));
  const signedData = ctx.vault.open('certificate.signed_data', row.signedDataEnc);
  const assertion = JSON.parse(signedData) as CertificateAssertion;
  await recordHolderRead(ctx, holder.holderId, { certificate: row.identifier, regionCode: row.regionCode });
  const catalog = (await currentCatalog(ctx.db)).content;
  const badge = (s: string) => certificateStatusCodes[s as CertificateStatus];
  return {
    ...toSummary(row, catalog, { name: assertion.holder.name, idType: assertion.holder.idType }, false),
    serial: row.serial,
    catalogVersion: row.catalogVersion,
    statusReason: row.statusReason,
    statusChangedAt: row.statusChangedAt.toISOString(),
    issuer: assertion.issuer,
    holder: assertion.holder,
    face: assertion.face,
    previousIdentifier: versions.some((v) => v.identifier === row.previousIdentifier)
      ? row.previousIdentifier
      : null,
    nextIdentifier: versions.some((v) => v.identifier === row.nextIdentifier) ? row.nextIdentifier : null,
    signedData: Buffer.from(signedData, 'utf8').toString('base64'),
    signedDataDigest: row.signedDataDigest,
    signature: row.signature,
    seal: keyring.sealReference(row.sealKeyId),
    versions: versions.map((v) => ({
      identifier: v.identifier,
      version: v.version,
      status: v.status as CertificateStatus,
      statusCode: badge(v.status).code,
      statusName: badge(v.status).name,
      event: v.event,
      issueDate: v.issueDate,
      signedAt: v.signedAt.toISOString(),
    })),
  };
}
