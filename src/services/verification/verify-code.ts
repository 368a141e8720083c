import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { qrTrustFromTrustMaterial, verifyQrPayload } from '../../documents/qr/payload.ts';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import { certificates, showTokenNonces, verifications } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { kindName } from '../certificates/certificate-view.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { CertificateAssertion } from '../issuance/seal-certificate.ts';
import type { Keyring } from '../keys/keyring.ts';
import { requirePermission } from '../scope.ts';
import { checkShowToken, looksLikeShowToken } from './show-token.ts';
import { recordUsage } from './usage-events.ts';

/** Why a check did not pass; a closed list, each with the message the officer reads. */
export const verificationReasons = {
  MALFORMED: '扫描内容不是本平台的亮证码或证照二维码',
  UNKNOWN_SEAL: '所用的印章证书不在信任列表中',
  SIGNATURE_INVALID: '签名验证未通过，内容可能被篡改',
  SEAL_OUTSIDE_VALIDITY: '签章时间不在印章证书有效期内',
  TOKEN_EXPIRED: '亮证码已过期，请持证人刷新后重新出示',
  TOKEN_REUSED: '该亮证码已被查验过，不能重复使用，请持证人刷新后重新出示',
  CERTIFICATE_UNKNOWN: '平台中没有该电子证照',
  DIGEST_MISMATCH: '二维码与平台中的证照数据不一致',
  SUPERSEDED: '该电子证照版本已换发，请出示最新版本',
  REVOKED: '该电子证照已注销',
  SUSPENDED: '该电子证照已暂停使用',
  EXPIRED: '该电子证照已过期',
} as const;
export type VerificationReason = keyof typeof verificationReasons;

const statusReasons: Partial<Record<CertificateStatus, VerificationReason>> = {
  superseded: 'SUPERSEDED',
  revoked: 'REVOKED',
  suspended: 'SUSPENDED',
  expired: 'EXPIRED',
};

export interface VerifiedCertificate {
  identifier: string;
  version: number;
  kind: { code: string; name: string };
  regionCode: string;
  status: CertificateStatus;
  statusCode: string;
  statusName: string;
  certificateNumber: string;
  holderName: string;
  /** The certificate's face data (照面信息), as sealed. */
  face: Record<string, unknown>;
  issueDate: string;
  validFrom: string | null;
  validTo: string | null;
  /** The version that replaced this one, when superseded. */
  nextIdentifier: string | null;
}

export interface VerificationResult {
  verificationId: string;
  result: 'valid' | 'invalid';
  reason?: VerificationReason;
  message: string;
  certificate: VerifiedCertificate | null;
  checkedAt: string;
}

type CertificateRow = typeof certificates.$inferSelect;
type Check =
  | { codeType: 'token' | 'document' | 'unknown'; reason: VerificationReason; row: null; nonce?: undefined }
  | {
      codeType: 'token' | 'document';
      reason: VerificationReason | null;
      row: CertificateRow;
      nonce?: { nonce: string; expiresAt: Date };
    };

/**
 * An officer's check of a scanned code: a 亮证 token or a document QR. Signature (current
 * and retired seals), token expiry and single use, then the certificate's CURRENT status from the
 * store. Every check is recorded with its result, and one that names a certificate counts as a use
 * of it. A refusal is a result, never an error.
 */
export async function verifyCode(
  ctx: ServiceContext,
  keyring: Keyring,
  actor: Actor,
  input: { code: string; place?: string | undefined },
  offline?: { id: string; checkedAt: Date },
): Promise<VerificationResult> {
  requirePermission(actor, 'certificates.verify');
  // A check made offline is judged as of when the officer made it (token expiry included).
  const recordedAt = ctx.clock.now();
  const now = offline?.checkedAt ?? recordedAt;
  const check = await checkCode(ctx, keyring, input.code.trim(), now);
  const id = offline?.id ?? randomUUID();
  const officerId = actor.type === 'staff' ? actor.id : null;
  if (!officerId) throw new Error('verifyCode: only staff verify');

  const outcome = await ctx.db.transaction(async (tx) => {
    let reason = check.reason;
    if (check.row && check.nonce && reason === null) {
      // Single use: the first check spends the nonce; the same token again is refused.
      const spent = await tx
        .insert(showTokenNonces)
        .values({ ...check.nonce, identifier: check.row.identifier, usedAt: now })
        .onConflictDoNothing()
        .returning({ nonce: showTokenNonces.nonce });
      if (spent.length === 0) reason = 'TOKEN_REUSED';
    }
    if (check.row && reason === null) reason = statusReasons[check.row.status as CertificateStatus] ?? null;
    // A refused token shows nothing of the certificate: a replayed or stale code earns no data.
    const shown = check.row !== null && reason !== 'TOKEN_REUSED' && reason !== 'TOKEN_EXPIRED';
    await tx.insert(verifications).values({
      id,
      officerId,
      regionCode: actor.regionCode,
      at: now,
      place: input.place ?? null,
      codeType: check.codeType,
      result: reason === null ? 'valid' : 'invalid',
      reason,
      identifier: check.row?.identifier ?? null,
      certificateRegionCode: check.row?.regionCode ?? null,
      kindCode: check.row?.kindCode ?? null,
    });
    if (shown && check.row) {
      await recordUsage(tx, {
        identifier: check.row.identifier,
        regionCode: check.row.regionCode,
        kindCode: check.row.kindCode,
        event: 'verify',
        at: now,
        refId: id,
      });
    }
    await appendAudit(
      tx,
      actor,
      {
        action: 'certificate.verify',
        regionCode: check.row?.regionCode ?? actor.regionCode,
        targetType: check.row ? 'certificate' : 'verification',
        targetId: check.row?.identifier ?? id,
        outcome: reason === null ? 'success' : 'failure',
        details: {
          verificationId: id,
          codeType: check.codeType,
          reason,
          ...(offline ? { offline: true } : {}),
        },
      },
      { at: recordedAt, requestId: ctx.requestId },
    );
    return { reason, shown };
  });

  const certificate = outcome.shown && check.row ? await view(ctx, check.row) : null;
  return {
    verificationId: id,
    result: outcome.reason === null ? 'valid' : 'invalid',
    ...(outcome.reason === null ? {} : { reason: outcome.reason }),
    message: outcome.reason === null ? '电子证照有效' : verificationReasons[outcome.reason],
    certificate,
    checkedAt: now.toISOString(),
  };
}

async function checkCode(ctx: ServiceContext, keyring: Keyring, code: string, now: Date): Promise<Check> {
  const trust = qrTrustFromTrustMaterial(keyring.requireTrust());
  if (looksLikeShowToken(code)) {
    const checked = checkShowToken(code, trust.sealCertificates);
    if (!checked.ok) return { codeType: 'token', reason: checked.reason, row: null };
    const row = await findCertificate(ctx, checked.claims.identifier);
    if (!row) return { codeType: 'token', reason: 'CERTIFICATE_UNKNOWN', row: null };
    if (now.getTime() > checked.claims.expiresAt.getTime())
      return { codeType: 'token', reason: 'TOKEN_EXPIRED', row };
    return {
      codeType: 'token',
      reason: null,
      row,
      nonce: { nonce: checked.claims.nonce, expiresAt: checked.claims.expiresAt },
    };
  }
  if (code.startsWith('https://')) {
    const checked = verifyQrPayload(code, trust);
    if (!checked.ok) return { codeType: 'document', reason: checked.reason, row: null };
    const row = await findCertificate(ctx, checked.identifier);
    if (!row) return { codeType: 'document', reason: 'CERTIFICATE_UNKNOWN', row: null };
    if (row.signedDataDigest.toLowerCase() !== checked.digest.toLowerCase()) {
      return { codeType: 'document', reason: 'DIGEST_MISMATCH', row: null };
    }
    return { codeType: 'document', reason: null, row };
  }
  return { codeType: 'unknown', reason: 'MALFORMED', row: null };
}

async function findCertificate(ctx: ServiceContext, identifier: string): Promise<CertificateRow | undefined> {
  const [row] = await ctx.db.select().from(certificates).where(eq(certificates.identifier, identifier));
  return row;
}

async function view(ctx: ServiceContext, row: CertificateRow): Promise<VerifiedCertificate> {
  const assertion = JSON.parse(
    ctx.vault.open('certificate.signed_data', row.signedDataEnc),
  ) as CertificateAssertion;
  const catalog = (await currentCatalog(ctx.db)).content;
  const status = row.status as CertificateStatus;
  return {
    identifier: row.identifier,
    version: row.version,
    kind: { code: row.kindCode, name: kindName(catalog, row.kindCode) },
    regionCode: row.regionCode,
    status,
    statusCode: certificateStatusCodes[status].code,
    statusName: certificateStatusCodes[status].name,
    certificateNumber: row.certificateNumber,
    holderName: assertion.holder.name,
    face: assertion.face,
    issueDate: row.issueDate,
    validFrom: row.validFrom,
    validTo: row.validTo,
    nextIdentifier: row.nextIdentifier,
  };
}
