import { and, eq } from 'drizzle-orm';
import { type CertificateStatus, certificateStatusCodes } from '../../domain/lifecycle.ts';
import { isOrganisationIdType, maskIfIdNumber, maskPersonName } from '../../domain/masking.ts';
import { AppError } from '../../errors.ts';
import { certificates, holders } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { ServiceContext } from '../context.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { HolderPrincipal } from '../wallet/holder-session.ts';
import { holderActor } from '../wallet/policy.ts';
import { encodeShowToken } from './show-token.ts';
import { recordUsage } from './usage-events.ts';

/** Token lifetime and the refresh hint: the phone refreshes well before an officer could see it lapse. */
export const showTokenPolicy = { lifetimeSeconds: 60, refreshAfterSeconds: 30 } as const;

/**
 * 亮证: a short-lived signed token for one of the holder's own certificates. Anyone else's
 * certificate is "not found", like one that does not exist. A usage event and an audit record
 * are written with it.
 */
export async function createShowToken(
  ctx: ServiceContext,
  keyring: Keyring,
  holder: HolderPrincipal,
  identifier: string,
): Promise<{ token: string; expiresAt: string; refreshAfterSeconds: number }> {
  const [row] = await ctx.db
    .select({ c: certificates, nameEnc: holders.nameEnc, idType: holders.idType })
    .from(certificates)
    .innerJoin(holders, eq(holders.id, certificates.holderId))
    .where(and(eq(certificates.identifier, identifier), eq(certificates.holderId, holder.holderId)));
  if (!row) throw new AppError('NOT_FOUND', '电子证照不存在');
  const trust = keyring.requireTrust();
  const name = ctx.vault.open('holder.name', row.nameEnc);
  const now = ctx.clock.now();
  const { text, claims } = await encodeShowToken(
    {
      identifier: row.c.identifier,
      statusCode: certificateStatusCodes[row.c.status as CertificateStatus].code,
      issuedAt: now,
      lifetimeSeconds: showTokenPolicy.lifetimeSeconds,
      kindCode: row.c.kindCode,
      holderName: isOrganisationIdType(row.idType) ? name : maskPersonName(name),
      certificateNumber: maskIfIdNumber(row.c.certificateNumber),
      sealCertificate: trust.sealCertificate,
    },
    keyring.sealSigner(),
  );
  await ctx.db.transaction(async (tx) => {
    await recordUsage(tx, {
      identifier: row.c.identifier,
      regionCode: row.c.regionCode,
      kindCode: row.c.kindCode,
      event: 'show',
      at: now,
    });
    await appendAudit(
      tx,
      holderActor(ctx, holder.holderId),
      {
        action: 'certificate.show',
        regionCode: row.c.regionCode,
        targetType: 'certificate',
        targetId: row.c.identifier,
        details: { expiresAt: claims.expiresAt.toISOString() },
      },
      { at: now, requestId: ctx.requestId },
    );
  });
  return {
    token: text,
    expiresAt: claims.expiresAt.toISOString(),
    refreshAfterSeconds: showTokenPolicy.refreshAfterSeconds,
  };
}
