import { and, asc, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import { AppError } from '../../errors.ts';
import { certificateEvents, certificates, holders } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { CertificateAssertion } from '../issuance/seal-certificate.ts';
import type { Keyring, SealReference } from '../keys/keyring.ts';
import { assertVisible, regionFilter, requirePermission, scopeFilter } from '../scope.ts';
import { type CertificateSummary, toSummary } from './certificate-view.ts';

export interface ListCertificatesQuery {
  regionCode?: string;
  kind?: string;
  status?: CertificateStatus;
  certificateNumber?: string;
  /** Superseded versions are left out unless asked for. */
  includeSuperseded?: boolean;
  limit?: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || Number.isNaN(date.getTime()))
    throw new AppError('VALIDATION_FAILED', '翻页游标无效', { details: { field: 'cursor' } });
  return { at: date, id };
}

/** Certificates of the actor's subtree, newest first; personal data masked. */
export async function listCertificates(
  ctx: ServiceContext,
  actor: Actor,
  q: ListCertificatesQuery,
): Promise<{ items: CertificateSummary[]; nextCursor: string | null }> {
  requirePermission(actor, 'certificates.read');
  const conditions: SQL[] = [scopeFilter(certificates.regionCode, actor)];
  if (q.regionCode) conditions.push(regionFilter(certificates.regionCode, q.regionCode));
  if (q.kind) conditions.push(eq(certificates.kindCode, q.kind));
  if (q.status) conditions.push(eq(certificates.status, q.status));
  else if (!q.includeSuperseded)
    conditions.push(inArray(certificates.status, ['valid', 'suspended', 'revoked', 'expired']));
  if (q.certificateNumber) conditions.push(eq(certificates.certificateNumber, q.certificateNumber));
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    conditions.push(
      or(
        lt(certificates.signedAt, c.at),
        and(eq(certificates.signedAt, c.at), lt(certificates.identifier, c.id)),
      )!,
    );
  }
  const limit = Math.min(q.limit ?? 50, 200);
  const rows = await ctx.db
    .select({ c: certificates, nameEnc: holders.nameEnc, idType: holders.idType })
    .from(certificates)
    .innerJoin(holders, eq(holders.id, certificates.holderId))
    .where(and(...conditions))
    .orderBy(desc(certificates.signedAt), desc(certificates.identifier))
    .limit(limit);
  const catalog = (await currentCatalog(ctx.db)).content;
  const items = rows.map((r) =>
    toSummary(r.c, catalog, { name: ctx.vault.open('holder.name', r.nameEnc), idType: r.idType }, true),
  );
  const last = rows[rows.length - 1];
  return {
    items,
    nextCursor:
      rows.length === limit && last
        ? Buffer.from(`${last.c.signedAt.toISOString()}|${last.c.identifier}`).toString('base64url')
        : null,
  };
}

export interface CertificateDetail extends CertificateSummary {
  serial: string;
  catalogVersion: number;
  statusReason: string | null;
  statusChangedAt: string;
  issuer: { name: string; code: string };
  holder: { idType: string; id: string; name: string };
  face: Record<string, unknown>;
  previousIdentifier: string | null;
  nextIdentifier: string | null;
  /** base64 of the exact RFC 8785 bytes that were signed. */
  signedData: string;
  signedDataDigest: string;
  /** base64 DER SM2 signature (GB/T 32918, default ID 1234567812345678). */
  signature: string;
  seal: SealReference;
}

/** A certificate version by identifier; outside the actor's subtree, or unknown, it is NOT_FOUND. */
export async function loadVisibleCertificate(ctx: ServiceContext, actor: Actor, identifier: string) {
  const [row] = await ctx.db.select().from(certificates).where(eq(certificates.identifier, identifier));
  if (!row) throw new AppError('NOT_FOUND', '电子证照不存在');
  assertVisible(actor, row.regionCode, '电子证照');
  return row;
}

/** Audits a staff read of a certificate's personal data (`certificate.read`), in its own transaction. */
export async function auditCertificateRead(
  ctx: ServiceContext,
  actor: Actor,
  row: { regionCode: string; identifier: string },
  details?: Record<string, unknown>,
): Promise<void> {
  await ctx.db.transaction((tx) =>
    appendAudit(
      tx,
      actor,
      {
        action: 'certificate.read',
        regionCode: row.regionCode,
        targetType: 'certificate',
        targetId: row.identifier,
        ...(details ? { details } : {}),
      },
      { at: ctx.clock.now(), requestId: ctx.requestId },
    ),
  );
}

/**
 * One certificate with everything it asserts and the proof: the signed bytes, the SM2 signature
 * and the seal certificate that checks it. A read of personal data, so it is audited.
 */
export async function getCertificate(
  ctx: ServiceContext,
  keyring: Keyring,
  actor: Actor,
  identifier: string,
): Promise<CertificateDetail> {
  requirePermission(actor, 'certificates.read');
  const row = await loadVisibleCertificate(ctx, actor, identifier);
  const signedData = ctx.vault.open('certificate.signed_data', row.signedDataEnc);
  const assertion = JSON.parse(signedData) as CertificateAssertion;
  await auditCertificateRead(ctx, actor, row);
  const catalog = (await currentCatalog(ctx.db)).content;
  const status = row.status as CertificateStatus;
  return {
    ...toSummary(row, catalog, { name: assertion.holder.name, idType: assertion.holder.idType }, false),
    serial: row.serial,
    catalogVersion: row.catalogVersion,
    statusReason: row.statusReason,
    statusChangedAt: row.statusChangedAt.toISOString(),
    statusCode: certificateStatusCodes[status].code,
    issuer: assertion.issuer,
    holder: assertion.holder,
    face: assertion.face,
    previousIdentifier: row.previousIdentifier,
    nextIdentifier: row.nextIdentifier,
    signedData: Buffer.from(signedData, 'utf8').toString('base64'),
    signedDataDigest: row.signedDataDigest,
    signature: row.signature,
    seal: keyring.sealReference(row.sealKeyId),
  };
}

export interface CertificateHistory {
  identifier: string;
  versions: {
    identifier: string;
    version: number;
    status: string;
    statusName: string;
    event: string;
    signedAt: string;
  }[];
  events: {
    at: string;
    event: string;
    fromState: string | null;
    toState: string;
    identifier: string | null;
    reason: string | null;
  }[];
}

/** Every version of the certificate and every lifecycle event of its licence. */
export async function getCertificateHistory(
  ctx: ServiceContext,
  actor: Actor,
  identifier: string,
): Promise<CertificateHistory> {
  requirePermission(actor, 'certificates.read');
  const row = await loadVisibleCertificate(ctx, actor, identifier);
  const versions = await ctx.db
    .select()
    .from(certificates)
    .where(eq(certificates.serial, row.serial))
    .orderBy(asc(certificates.version));
  const events = await ctx.db
    .select()
    .from(certificateEvents)
    .where(eq(certificateEvents.sourceRecordId, row.sourceRecordId))
    .orderBy(asc(certificateEvents.id));
  return {
    identifier,
    versions: versions.map((v) => ({
      identifier: v.identifier,
      version: v.version,
      status: v.status,
      statusName: certificateStatusCodes[v.status as CertificateStatus].name,
      event: v.event,
      signedAt: v.signedAt.toISOString(),
    })),
    events: events.map((e) => ({
      at: e.at.toISOString(),
      event: e.event,
      fromState: e.fromState,
      toState: e.toState,
      identifier: e.identifier,
      reason: e.reason,
    })),
  };
}
