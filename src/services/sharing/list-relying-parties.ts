import { and, asc, eq } from 'drizzle-orm';
import { getRegion } from '../../domain/regions.ts';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { clients } from '../../store/schema.ts';
import type { ServiceContext } from '../context.ts';

export interface RelyingParty {
  id: string;
  name: string;
  regionCode: string;
  regionName: string;
}

/** Registered, active relying parties (用证方) a holder may choose; source systems are not among them. */
export async function listRelyingParties(ctx: ServiceContext): Promise<{ items: RelyingParty[] }> {
  const rows = await ctx.db
    .select({ id: clients.id, name: clients.name, regionCode: clients.regionCode })
    .from(clients)
    .where(and(eq(clients.kind, 'relying'), eq(clients.status, 'active')))
    .orderBy(asc(clients.name), asc(clients.id));
  return {
    items: rows.map((r) => ({ ...r, regionName: getRegion(r.regionCode)?.fullName ?? r.regionCode })),
  };
}

/** The active relying party a grant names; anything else (a source system, unknown, disabled) is a 400. */
export async function requireRelyingParty(db: Db, clientId: string): Promise<{ id: string; name: string }> {
  const [row] = await db
    .select({ id: clients.id, name: clients.name })
    .from(clients)
    .where(and(eq(clients.id, clientId), eq(clients.kind, 'relying'), eq(clients.status, 'active')));
  if (!row) {
    throw new AppError('VALIDATION_FAILED', '用证方不存在或已停用', {
      details: {
        errors: [{ field: 'clientId', code: 'RELYING_PARTY_UNKNOWN', message: '用证方不存在或已停用' }],
      },
    });
  }
  return row;
}
