import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { certificates, shareGrants } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { ServiceContext } from '../context.ts';
import type { HolderPrincipal } from '../wallet/holder-session.ts';
import { holderActor } from '../wallet/policy.ts';
import { type GrantedCertificate, type GrantView, toGrantView } from './grant-view.ts';
import { requireRelyingParty } from './list-relying-parties.ts';
import { grantExpiry } from './policy.ts';
import { validateGrantFields } from './shareable-fields.ts';

/**
 * The holder's consent: a relying party may read these fields of these of the holder's
 * own certificates, for this purpose, until this time. Licences are recorded by serial, so a
 * yearly review or change (a new version) stays covered while the holder holds it.
 */
export async function createGrant(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  input: { clientId: string; identifiers: string[]; fields: string[]; purpose: string; expiresAt: string },
): Promise<GrantView> {
  const now = ctx.clock.now();
  const expiresAt = grantExpiry(now, input.expiresAt);
  const purpose = input.purpose.trim();
  if (purpose.length < 2) throw new AppError('VALIDATION_FAILED', '请填写用途（至少 2 个字）');
  const party = await requireRelyingParty(ctx.db, input.clientId);
  const wanted = [...new Set(input.identifiers)];
  const rows = await ctx.db
    .select()
    .from(certificates)
    .where(and(inArray(certificates.identifier, wanted), eq(certificates.holderId, holder.holderId)));
  // Someone else's certificate is "not found", exactly like one that does not exist.
  const missing = wanted.filter((id) => !rows.some((r) => r.identifier === id));
  if (missing.length) throw new AppError('NOT_FOUND', `电子证照不存在：${missing.join('、')}`);
  // Two versions of one licence name it once, by its newest named version.
  const newest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) {
    if ((newest.get(r.serial)?.version ?? 0) < r.version) newest.set(r.serial, r);
  }
  const granted: GrantedCertificate[] = [...newest.values()].map((r) => ({
    serial: r.serial,
    identifier: r.identifier,
    kindCode: r.kindCode,
    certificateNumber: r.certificateNumber,
  }));
  const catalog = (await currentCatalog(ctx.db)).content;
  const fields = validateGrantFields(
    catalog,
    granted.map((c) => c.kindCode),
    input.fields,
  );
  const row = {
    id: randomUUID(),
    basis: 'consent',
    clientId: party.id,
    holderId: holder.holderId,
    regionCode: rows[0]!.regionCode,
    certificates: granted,
    kindCodes: null,
    fields,
    purpose,
    legalBasis: null,
    createdBy: `holder:${holder.holderId}`,
    createdAt: now,
    expiresAt,
    withdrawnAt: null,
    withdrawnBy: null,
  };
  await ctx.db.transaction(async (tx) => {
    await tx.insert(shareGrants).values(row);
    await appendAudit(
      tx,
      holderActor(ctx, holder.holderId),
      {
        action: 'share.grant',
        regionCode: row.regionCode,
        targetType: 'share_grant',
        targetId: row.id,
        details: {
          clientId: party.id,
          certificates: granted.map((c) => c.identifier),
          fields,
          expiresAt: expiresAt.toISOString(),
        },
      },
      { at: now, requestId: ctx.requestId },
    );
  });
  return toGrantView(row, catalog, new Map([[party.id, party.name]]), now);
}
