import { and, eq } from 'drizzle-orm';
import { sm3Hex } from '../../crypto/sm3.ts';
import { DOCUMENT_MEDIA_TYPES, type DocumentFormat, isDocumentFormat } from '../../documents/render.ts';
import { maskIfIdNumber } from '../../domain/masking.ts';
import { AppError } from '../../errors.ts';
import { certificateDocuments, certificates } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { kindName } from '../certificates/certificate-view.ts';
import { auditCertificateRead, loadVisibleCertificate } from '../certificates/query-certificates.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { Keyring } from '../keys/keyring.ts';
import { requirePermission } from '../scope.ts';
import { recordUsage } from '../verification/usage-events.ts';
import type { HolderPrincipal } from '../wallet/holder-session.ts';
import { holderActor } from '../wallet/policy.ts';
import { renderCertificateDocument } from './render-certificate-document.ts';

type CertificateRow = typeof certificates.$inferSelect;

export interface CertificateDocument {
  readonly identifier: string;
  readonly format: DocumentFormat;
  readonly mediaType: string;
  /** e.g. `道路运输证_210102000008.pdf`. */
  readonly filename: string;
  readonly bytes: Buffer;
  /** Hex SM3 of `bytes`: the ETag. */
  readonly sm3: string;
  /** Whether this request rendered the document (false: served from the store). */
  readonly rendered: boolean;
}

export interface DocumentDeps {
  readonly keyring: Keyring;
}

function checkFormat(format: unknown): DocumentFormat {
  if (!isDocumentFormat(format)) {
    throw new AppError('VALIDATION_FAILED', '文档格式应为 ofd 或 pdf', { details: { field: 'format' } });
  }
  return format;
}

/**
 * The stored document of a certificate version, rendered and stored on the first request.
 * Two first requests at once both render; the insert keeps the first and both answer with the
 * stored bytes, so every download of a version is the same file.
 */
async function documentOf(
  ctx: ServiceContext,
  deps: DocumentDeps,
  row: CertificateRow,
  format: DocumentFormat,
): Promise<CertificateDocument> {
  const key = and(
    eq(certificateDocuments.regionCode, row.regionCode),
    eq(certificateDocuments.identifier, row.identifier),
    eq(certificateDocuments.format, format),
  );
  const read = async () =>
    (
      await ctx.db
        .select({ bytes: certificateDocuments.bytes, sm3: certificateDocuments.sm3 })
        .from(certificateDocuments)
        .where(key)
    )[0];
  let stored = await read();
  let rendered = false;
  if (!stored) {
    const document = await renderCertificateDocument(ctx, deps.keyring, row, format);
    await ctx.db
      .insert(certificateDocuments)
      .values({
        regionCode: row.regionCode,
        identifier: row.identifier,
        format,
        bytes: document.bytes,
        sm3: sm3Hex(document.bytes),
        createdAt: ctx.clock.now(),
      })
      .onConflictDoNothing();
    stored = await read();
    if (!stored) throw new AppError('INTERNAL', '证照文档保存失败');
    rendered = true;
  }
  const catalog = (await currentCatalog(ctx.db)).content;
  return {
    identifier: row.identifier,
    format,
    mediaType: DOCUMENT_MEDIA_TYPES[format],
    filename: documentFileName(kindName(catalog, row.kindCode), row.certificateNumber, format),
    bytes: stored.bytes,
    sm3: stored.sm3,
    rendered,
  };
}

/**
 * The download's file name: kind and certificate number, except that a number which is the
 * holder's ID number (从业资格证) shows only its last four characters — file names travel into
 * download folders, chat apps and proxy logs. (`*` would be the usual mask, but file systems
 * refuse it.)
 */
export function documentFileName(kind: string, certificateNumber: string, format: string): string {
  const shown =
    maskIfIdNumber(certificateNumber) === certificateNumber
      ? certificateNumber
      : `尾号${certificateNumber.slice(-4)}`;
  return `${kind}_${shown}.${format}`;
}

/**
 * Staff download (`GET /api/v1/certificates/{identifier}/document`): inside the actor's region
 * only (outside it the certificate does not exist), audited as a read of the certificate.
 */
export async function getCertificateDocument(
  ctx: ServiceContext,
  deps: DocumentDeps,
  actor: Actor,
  identifier: string,
  format: unknown,
): Promise<CertificateDocument> {
  requirePermission(actor, 'certificates.read');
  const checked = checkFormat(format);
  const row = await loadVisibleCertificate(ctx, actor, identifier);
  const document = await documentOf(ctx, deps, row, checked);
  await auditCertificateRead(ctx, actor, row, { document: checked });
  return document;
}

/**
 * The holder's own download (运证通): only certificates held by the signed-in holder (anyone
 * else's is "not found"); recorded as a `download` use and a holder read.
 */
export async function getHolderCertificateDocument(
  ctx: ServiceContext,
  deps: DocumentDeps,
  holder: HolderPrincipal,
  identifier: string,
  format: unknown,
): Promise<CertificateDocument> {
  const checked = checkFormat(format);
  const [row] = await ctx.db
    .select()
    .from(certificates)
    .where(and(eq(certificates.identifier, identifier), eq(certificates.holderId, holder.holderId)));
  if (!row) throw new AppError('NOT_FOUND', '电子证照不存在');
  const document = await documentOf(ctx, deps, row, checked);
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await recordUsage(tx, {
      identifier: row.identifier,
      regionCode: row.regionCode,
      kindCode: row.kindCode,
      event: 'download',
      at,
    });
    await appendAudit(
      tx,
      holderActor(ctx, holder.holderId),
      {
        action: 'holder.read',
        regionCode: row.regionCode,
        targetType: 'certificate',
        targetId: row.identifier,
        details: { document: checked },
      },
      { at, requestId: ctx.requestId },
    );
  });
  return document;
}
