import { randomUUID } from 'node:crypto';
import { qrTrustFromTrustMaterial, verifyQrPayload } from '../../documents/qr/payload.ts';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { CertificateAssertion } from '../issuance/seal-certificate.ts';
import type { Keyring } from '../keys/keyring.ts';
import { requirePermission } from '../scope.ts';
import {
  type CheckedCertificate,
  checkBatcher,
  type PendingCheck,
  recordChecks,
  type ScannedCode,
} from './record-checks.ts';
import { checkShowTokenAsync, looksLikeShowToken } from './show-token.ts';

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

/**
 * An officer's check of a scanned code: a 亮证 token or a document QR. Signature (current
 * and retired seals), token expiry and single use, then the certificate's CURRENT status from the
 * store. Every check is recorded with its result, and one that names a certificate counts as a use
 * of it. A refusal is a result, never an error.
 *
 * Online checks are recorded by group commit (`checkBatcher`): concurrent checks share one
 * transaction, and each answer is given only after that transaction commits. An offline check
 * (uploaded later, with the page's id) is recorded in a transaction of its own, so a clash of its
 * id fails it alone.
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
  const officerId = actor.type === 'staff' ? actor.id : null;
  if (!officerId) throw new Error('verifyCode: only staff verify');
  const check: PendingCheck = {
    id: offline?.id ?? randomUUID(),
    actor,
    officerId,
    place: input.place ?? null,
    at: now,
    recordedAt,
    requestId: ctx.requestId,
    offline: offline !== undefined,
    scanned: await scanCode(keyring, input.code.trim(), now),
  };
  const recorded = offline
    ? (await recordChecks(ctx.db, [check]))[0]!
    : await checkBatcher(ctx.db).submit(check);

  const certificate = recorded.shown && recorded.certificate ? view(ctx, recorded.certificate) : null;
  return {
    verificationId: check.id,
    result: recorded.reason === null ? 'valid' : 'invalid',
    ...(recorded.reason === null ? {} : { reason: recorded.reason }),
    message: recorded.reason === null ? '电子证照有效' : verificationReasons[recorded.reason],
    certificate,
    checkedAt: now.toISOString(),
  };
}

/** What the code itself says: signature and structure (public material only), and token expiry. */
async function scanCode(keyring: Keyring, code: string, now: Date): Promise<ScannedCode> {
  const trust = qrTrustFromTrustMaterial(keyring.requireTrust());
  if (looksLikeShowToken(code)) {
    const checked = await checkShowTokenAsync(code, trust.sealCertificates);
    if (!checked.ok) return { codeType: 'token', reason: checked.reason, identifier: null };
    return {
      codeType: 'token',
      reason: null,
      identifier: checked.claims.identifier,
      nonce: { nonce: checked.claims.nonce, expiresAt: checked.claims.expiresAt },
      expired: now.getTime() > checked.claims.expiresAt.getTime(),
    };
  }
  if (code.startsWith('https://')) {
    const checked = verifyQrPayload(code, trust);
    if (!checked.ok) return { codeType: 'document', reason: checked.reason, identifier: null };
    return { codeType: 'document', reason: null, identifier: checked.identifier, digest: checked.digest };
  }
  return { codeType: 'unknown', reason: 'MALFORMED', identifier: null };
}

/** What a check shows from a certificate version's signed data (kind name, holder, face). */
type Opened = Pick<CertificateAssertion, 'face'> & { kindName: string; holderName: string };

/**
 * Signed data opened for recent checks, per vault (so two keys never share), by identifier (which
 * carries the version) and the signed data's digest: immutable, and checked again and again while
 * a holder shows it. Personal data, so few and briefly: at most OPENED_CACHE_SIZE versions, each
 * for OPENED_CACHE_MS after it was opened.
 */
const openedCaches = new WeakMap<ServiceContext['vault'], Map<string, { opened: Opened; at: number }>>();
const OPENED_CACHE_SIZE = 1000;
const OPENED_CACHE_MS = 60_000;

function openSignedData(ctx: ServiceContext, row: CheckedCertificate): Opened {
  let cache = openedCaches.get(ctx.vault);
  if (!cache) {
    cache = new Map();
    openedCaches.set(ctx.vault, cache);
  }
  const key = `${row.identifier}:${row.signedDataDigest}`;
  const hit = cache.get(key);
  if (hit && performance.now() - hit.at <= OPENED_CACHE_MS) return hit.opened;
  const assertion = JSON.parse(
    ctx.vault.open('certificate.signed_data', row.signedDataEnc),
  ) as CertificateAssertion;
  const opened: Opened = {
    kindName: assertion.kind.name,
    holderName: assertion.holder.name,
    face: assertion.face,
  };
  cache.delete(key);
  if (cache.size >= OPENED_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, { opened, at: performance.now() });
  return opened;
}

function view(ctx: ServiceContext, row: CheckedCertificate): VerifiedCertificate {
  const opened = openSignedData(ctx, row);
  const status = row.status;
  return {
    identifier: row.identifier,
    version: row.version,
    // The kind's name as sealed: no catalog read per check (the catalog is the largest row read).
    kind: { code: row.kindCode, name: opened.kindName },
    regionCode: row.regionCode,
    status,
    statusCode: certificateStatusCodes[status].code,
    statusName: certificateStatusCodes[status].name,
    certificateNumber: row.certificateNumber,
    holderName: opened.holderName,
    face: opened.face,
    issueDate: row.issueDate,
    validFrom: row.validFrom,
    validTo: row.validTo,
    nextIdentifier: row.nextIdentifier,
  };
}
