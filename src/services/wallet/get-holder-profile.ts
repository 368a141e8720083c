import { eq } from 'drizzle-orm';
import { isOrganisationIdType, maskIdNumber, maskPersonName, maskPhone } from '../../domain/masking.ts';
import { AppError } from '../../errors.ts';
import { holders } from '../../store/schema.ts';
import type { ServiceContext } from '../context.ts';
import type { HolderPrincipal } from './holder-session.ts';
import { recordHolderRead } from './policy.ts';

export interface HolderProfile {
  holderType: 'person' | 'organisation';
  idType: string;
  /** Masked: a lost or shared phone screen should not show the whole ID number. */
  id: string;
  name: string;
  phone: string | null;
}

/** The signed-in holder's identity, masked the way lists mask it (organisation names are public). */
export async function getHolderProfile(ctx: ServiceContext, holder: HolderPrincipal): Promise<HolderProfile> {
  const [row] = await ctx.db.select().from(holders).where(eq(holders.id, holder.holderId));
  if (!row) throw new AppError('UNAUTHENTICATED', '登录已失效，请重新获取验证码登录');
  const organisation = isOrganisationIdType(row.idType);
  const name = ctx.vault.open('holder.name', row.nameEnc);
  await recordHolderRead(ctx, holder.holderId, { what: 'profile' });
  return {
    holderType: organisation ? 'organisation' : 'person',
    idType: row.idType,
    id: maskIdNumber(ctx.vault.open('holder.id', row.idEnc)),
    name: organisation ? name : maskPersonName(name),
    phone: row.phoneEnc ? maskPhone(ctx.vault.open('holder.phone', row.phoneEnc)) : null,
  };
}
