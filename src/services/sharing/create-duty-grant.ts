import { randomUUID } from 'node:crypto';
import { getKind } from '../../domain/catalog/index.ts';
import { isWithinRegion, requireRegion } from '../../domain/regions.ts';
import { AppError } from '../../errors.ts';
import { shareGrants } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertActsIn, requirePermission } from '../scope.ts';
import { type GrantView, toGrantView } from './grant-view.ts';
import { requireRelyingParty } from './list-relying-parties.ts';
import { grantExpiry } from './policy.ts';
import { validateGrantFields } from './shareable-fields.ts';

/**
 * 依职能授权: an issuing or managing department lets a relying party read certificates of the
 * listed kinds in a region of its own subtree, for an official duty. The legal basis (法律依据)
 * is required and kept with the grant and in the audit trail.
 */
export async function createDutyGrant(
  ctx: ServiceContext,
  actor: Actor,
  input: {
    clientId: string;
    regionCode: string;
    kinds: string[];
    fields: string[];
    purpose: string;
    legalBasis: string;
    expiresAt: string;
  },
): Promise<GrantView> {
  requirePermission(actor, 'certificates.manage');
  const now = ctx.clock.now();
  const legalBasis = input.legalBasis.trim();
  if (legalBasis.length < 4) {
    throw new AppError('VALIDATION_FAILED', '依职能授权须载明法律依据', {
      details: { errors: [{ field: 'legalBasis', code: 'REQUIRED', message: '请填写法律依据' }] },
    });
  }
  const purpose = input.purpose.trim();
  if (purpose.length < 2) throw new AppError('VALIDATION_FAILED', '请填写用途（至少 2 个字）');
  const region = requireRegion(input.regionCode);
  if (!isWithinRegion(region.code, ctx.config.province.code)) {
    throw new AppError('REGION_OUTSIDE_SCOPE', `区划 ${region.code} 不属于本省`);
  }
  assertActsIn(actor, region.code);
  const expiresAt = grantExpiry(now, input.expiresAt);
  const party = await requireRelyingParty(ctx.db, input.clientId);
  const catalog = (await currentCatalog(ctx.db)).content;
  const kinds = [...new Set(input.kinds)];
  for (const k of kinds) getKind(catalog, k);
  const fields = validateGrantFields(catalog, kinds, input.fields);
  const row = {
    id: randomUUID(),
    basis: 'duty',
    clientId: party.id,
    holderId: null,
    regionCode: region.code,
    certificates: null,
    kindCodes: kinds,
    fields,
    purpose,
    legalBasis,
    createdBy: actor.id,
    createdAt: now,
    expiresAt,
    withdrawnAt: null,
    withdrawnBy: null,
  };
  await ctx.db.transaction(async (tx) => {
    await tx.insert(shareGrants).values(row);
    await appendAudit(
      tx,
      actor,
      {
        action: 'share.duty_grant',
        regionCode: region.code,
        targetType: 'share_grant',
        targetId: row.id,
        details: {
          clientId: party.id,
          kinds,
          fields,
          purpose,
          legalBasis,
          expiresAt: expiresAt.toISOString(),
        },
      },
      { at: now, requestId: ctx.requestId },
    );
  });
  return toGrantView(row, catalog, new Map([[party.id, party.name]]), now);
}
