import { and, desc, eq, inArray } from 'drizzle-orm';
import { certificates, holders } from '../../store/schema.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import { type CertificateSummary, toSummary } from '../certificates/certificate-view.ts';
import type { ServiceContext } from '../context.ts';
import type { HolderPrincipal } from './holder-session.ts';
import { recordHolderRead } from './policy.ts';

/**
 * The holder's own certificates, one per licence: the current version of each (superseded
 * versions appear in a certificate's history, not here). The badge is `statusName`
 * (有效, 已注销, 无效（已过期）, 无效（暂停）) from the national status code table.
 */
export async function listHolderCertificates(
  ctx: ServiceContext,
  holder: HolderPrincipal,
): Promise<{ items: CertificateSummary[] }> {
  const rows = await ctx.db
    .select({ c: certificates, nameEnc: holders.nameEnc })
    .from(certificates)
    .innerJoin(holders, eq(holders.id, certificates.holderId))
    .where(
      and(
        eq(certificates.holderId, holder.holderId),
        inArray(certificates.status, ['valid', 'suspended', 'revoked', 'expired']),
      ),
    )
    .orderBy(desc(certificates.signedAt), desc(certificates.identifier));
  await recordHolderRead(ctx, holder.holderId, { what: 'certificates', count: rows.length });
  const catalog = (await currentCatalog(ctx.db)).content;
  // The holder's own data: shown unmasked to them.
  return {
    items: rows.map((r) =>
      toSummary(
        r.c,
        catalog,
        { name: ctx.vault.open('holder.name', r.nameEnc), idType: holder.idType },
        false,
      ),
    ),
  };
}
