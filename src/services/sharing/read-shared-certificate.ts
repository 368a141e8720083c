import { randomUUID } from 'node:crypto';
import { and, count, desc, eq, gt, isNull } from 'drizzle-orm';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import { isWithinRegion } from '../../domain/regions.ts';
import { AppError, type ErrorCode } from '../../errors.ts';
import { certificates, shareAccesses, shareCodes, shareGrants } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { kindName } from '../certificates/certificate-view.ts';
import { authenticateClient, type SignedRequest } from '../clients/authenticate-client.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { CertificateAssertion } from '../issuance/seal-certificate.ts';
import { recordUsage } from '../verification/usage-events.ts';
import type { GrantedCertificate } from './grant-view.ts';
import { shareCodeHash, sharingPolicy } from './policy.ts';
import { pickFields } from './shareable-fields.ts';

export interface SharedCertificate {
  identifier: string;
  version: number;
  kind: { code: string; name: string };
  status: CertificateStatus;
  statusCode: string;
  statusName: string;
  validFrom: string | null;
  validTo: string | null;
  fields: Record<string, unknown>;
  labels: Record<string, string>;
  access: { id: string; basis: Basis; purpose: string | null; at: string };
}

type Basis = 'consent' | 'duty' | 'code';
type CertificateRow = typeof certificates.$inferSelect;

/** What the credential allows, worked out before the identifier is looked at. */
interface Credential {
  basis: Basis;
  grantId: string | null;
  shareCodeId: string | null;
  fields: string[];
  purpose: string | null;
  /** Whether the current version of a licence is inside the credential. */
  covers(current: CertificateRow): boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOT_FOUND_MESSAGE = '电子证照不存在或不在授权范围内';

/**
 * A relying party reads a certificate: a signed request (HMAC-SM3 over timestamp, method,
 * path and body; each signature once) carrying a grant id or a one-time 用证码. The credential is
 * judged first and on its own; then an unknown identifier and one the credential does not cover
 * get the same 404, so identifiers cannot be probed. Only the granted fields of the licence's
 * current version are answered. Every attempt past authentication goes to the access log and the
 * audit trail; a granted one is also a `share` usage event, and spends a 用证码.
 */
export async function readSharedCertificate(
  ctx: ServiceContext,
  req: {
    signed: SignedRequest;
    grantId: string | undefined;
    shareCode: string | undefined;
    identifier: string;
  },
): Promise<SharedCertificate> {
  const client = await authenticateClient(ctx, req.signed, 'relying');
  const now = ctx.clock.now();
  const actor: Actor = { type: 'system', id: `client:${client.id}`, regionCode: client.regionCode };
  const meta = { at: now, requestId: ctx.requestId };

  const [refused] = await ctx.db
    .select({ n: count() })
    .from(shareAccesses)
    .where(
      and(
        eq(shareAccesses.clientId, client.id),
        eq(shareAccesses.outcome, 'refused'),
        gt(shareAccesses.at, new Date(now.getTime() - sharingPolicy.refusalWindowMs)),
      ),
    );
  if ((refused?.n ?? 0) >= sharingPolicy.maxRefusals) {
    await ctx.db.transaction((tx) =>
      appendAudit(
        tx,
        actor,
        {
          action: 'share.read',
          regionCode: client.regionCode,
          targetType: 'client',
          targetId: client.id,
          outcome: 'failure',
          details: { reason: 'SHARE_REFUSALS_EXCEEDED' },
        },
        meta,
      ),
    );
    throw new AppError(
      'SHARE_REFUSALS_EXCEEDED',
      `一小时内被拒绝的读取已达 ${sharingPolicy.maxRefusals} 次，暂停读取，请核对授权后再试`,
    );
  }

  /** Writes the refusal to the access log and the audit trail, then throws it. */
  const refuse = async (
    code: ErrorCode,
    message: string,
    credential: Partial<Credential>,
    row?: CertificateRow,
  ): Promise<never> => {
    const id = randomUUID();
    const regionCode = row?.regionCode ?? client.regionCode;
    await ctx.db.transaction(async (tx) => {
      await tx.insert(shareAccesses).values({
        id,
        clientId: client.id,
        at: now,
        grantId: credential.grantId ?? null,
        shareCodeId: credential.shareCodeId ?? null,
        basis: credential.basis ?? null,
        requestedIdentifier: req.identifier,
        identifier: null,
        regionCode,
        kindCode: row?.kindCode ?? null,
        outcome: 'refused',
        reason: code,
      });
      await appendAudit(
        tx,
        actor,
        {
          action: 'share.read',
          regionCode,
          targetType: row ? 'certificate' : 'share_access',
          targetId: row?.identifier ?? id,
          outcome: 'failure',
          details: {
            accessId: id,
            reason: code,
            grantId: credential.grantId ?? null,
            shareCodeId: credential.shareCodeId ?? null,
          },
        },
        meta,
      );
    });
    throw new AppError(code, message);
  };

  // 1. The credential, judged without looking at the identifier.
  if (Boolean(req.grantId) === Boolean(req.shareCode)) {
    return refuse(
      'SHARE_CREDENTIAL_REQUIRED',
      '请在 X-Grant-Id（授权编号）与 X-Share-Code（用证码）中提供且只提供一个',
      {},
    );
  }
  let credential: Credential;
  if (req.grantId) {
    const [grant] = UUID.test(req.grantId)
      ? await ctx.db.select().from(shareGrants).where(eq(shareGrants.id, req.grantId.toLowerCase()))
      : [];
    const known = grant && grant.clientId === client.id ? grant : undefined;
    const partial = { basis: known?.basis as Basis | undefined, grantId: known?.id ?? null };
    if (!known) return refuse('SHARE_GRANT_INVALID', '授权不存在或不属于本用证方', partial);
    if (known.withdrawnAt) return refuse('SHARE_GRANT_WITHDRAWN', '授权已被撤回', partial);
    if (known.expiresAt <= now) return refuse('SHARE_GRANT_EXPIRED', '授权已到期', partial);
    const serials = new Set(((known.certificates as GrantedCertificate[] | null) ?? []).map((c) => c.serial));
    const kinds = (known.kindCodes as string[] | null) ?? [];
    credential = {
      basis: known.basis as Basis,
      grantId: known.id,
      shareCodeId: null,
      fields: known.fields as string[],
      purpose: known.purpose,
      covers: (c) =>
        known.basis === 'duty'
          ? kinds.includes(c.kindCode) && isWithinRegion(c.regionCode, known.regionCode)
          : serials.has(c.serial) && c.holderId === known.holderId,
    };
  } else {
    const [code] = await ctx.db
      .select()
      .from(shareCodes)
      .where(eq(shareCodes.codeHash, shareCodeHash(ctx, req.shareCode!)));
    const partial = { basis: 'code' as const, shareCodeId: code?.id ?? null };
    if (!code) return refuse('SHARE_CODE_INVALID', '用证码不正确，请向持证人核对', partial);
    if (code.usedAt) return refuse('SHARE_CODE_USED', '用证码已使用过，每个用证码只能读取一次', partial);
    if (code.expiresAt <= now) return refuse('SHARE_CODE_EXPIRED', '用证码已过期，请持证人重新生成', partial);
    credential = {
      basis: 'code',
      grantId: null,
      shareCodeId: code.id,
      fields: code.fields as string[],
      purpose: code.purpose,
      covers: (c) => c.serial === code.serial && c.holderId === code.holderId,
    };
  }

  // 2. The certificate: the licence's current version, if the credential covers it.
  const [requested] = await ctx.db
    .select()
    .from(certificates)
    .where(eq(certificates.identifier, req.identifier));
  const [current] = requested
    ? await ctx.db
        .select()
        .from(certificates)
        .where(eq(certificates.serial, requested.serial))
        .orderBy(desc(certificates.version))
        .limit(1)
    : [];
  if (!current || !credential.covers(current)) {
    return refuse('NOT_FOUND', NOT_FOUND_MESSAGE, credential, current);
  }

  // 3. Granted: spend the code (once, even under concurrent reads), log, answer.
  const catalog = (await currentCatalog(ctx.db)).content;
  const assertion = JSON.parse(
    ctx.vault.open('certificate.signed_data', current.signedDataEnc),
  ) as CertificateAssertion;
  const picked = pickFields(catalog, assertion, credential.fields);
  const id = randomUUID();
  const spent = await ctx.db.transaction(async (tx) => {
    if (credential.shareCodeId) {
      const used = await tx
        .update(shareCodes)
        .set({ usedAt: now, usedBy: client.id })
        .where(and(eq(shareCodes.id, credential.shareCodeId), isNull(shareCodes.usedAt)))
        .returning({ id: shareCodes.id });
      if (used.length === 0) return false;
    }
    await tx.insert(shareAccesses).values({
      id,
      clientId: client.id,
      at: now,
      grantId: credential.grantId,
      shareCodeId: credential.shareCodeId,
      basis: credential.basis,
      requestedIdentifier: req.identifier,
      identifier: current.identifier,
      regionCode: current.regionCode,
      kindCode: current.kindCode,
      outcome: 'granted',
      fields: Object.keys(picked.fields),
      purpose: credential.purpose,
    });
    await recordUsage(tx, {
      identifier: current.identifier,
      regionCode: current.regionCode,
      kindCode: current.kindCode,
      event: 'share',
      at: now,
      refId: id,
    });
    await appendAudit(
      tx,
      actor,
      {
        action: 'share.read',
        regionCode: current.regionCode,
        targetType: 'certificate',
        targetId: current.identifier,
        details: {
          accessId: id,
          basis: credential.basis,
          grantId: credential.grantId,
          shareCodeId: credential.shareCodeId,
          fields: Object.keys(picked.fields),
        },
      },
      meta,
    );
    return true;
  });
  if (!spent) return refuse('SHARE_CODE_USED', '用证码已使用过，每个用证码只能读取一次', credential, current);

  const status = current.status as CertificateStatus;
  return {
    identifier: current.identifier,
    version: current.version,
    kind: { code: current.kindCode, name: kindName(catalog, current.kindCode) },
    status,
    statusCode: certificateStatusCodes[status].code,
    statusName: certificateStatusCodes[status].name,
    validFrom: current.validFrom,
    validTo: current.validTo,
    fields: picked.fields,
    labels: picked.labels,
    access: { id, basis: credential.basis, purpose: credential.purpose, at: now.toISOString() },
  };
}
