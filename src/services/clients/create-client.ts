import { randomBytes } from 'node:crypto';
import { sm3 } from '../../crypto/sm3.ts';
import { isWithinRegion, requireRegion } from '../../domain/regions.ts';
import { AppError } from '../../errors.ts';
import { clients } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertActsIn, requirePermission } from '../scope.ts';

export interface CreatedClient {
  clientId: string;
  /** Shown once; only SM3(secret) is kept, sealed under the KEK. */
  secret: string;
  name: string;
  kind: 'source' | 'relying';
  regionCode: string;
}

/**
 * Registers a machine client. Secrets are 96 characters (72 random bytes), longer than SM3's
 * 64-byte block, so HMAC-SM3 keys itself with SM3(secret) (RFC 2104 §2): the platform can verify
 * signatures from the hash alone and never stores the secret.
 */
export async function createClient(
  ctx: ServiceContext,
  actor: Actor,
  input: { name: string; regionCode: string; kind?: 'source' | 'relying' },
): Promise<CreatedClient> {
  requirePermission(actor, 'staff.manage');
  const name = input.name.trim();
  if (name.length < 2 || name.length > 100) {
    throw new AppError('VALIDATION_FAILED', '接入系统名称应为 2–100 个字符', { details: { field: 'name' } });
  }
  const region = requireRegion(input.regionCode);
  if (!isWithinRegion(region.code, ctx.config.province.code)) {
    throw new AppError('REGION_OUTSIDE_SCOPE', `区划 ${region.code} 不属于本省`, {
      details: { field: 'regionCode' },
    });
  }
  assertActsIn(actor, region.code);
  const clientId = `rc_${randomBytes(10).toString('hex')}`;
  const secret = randomBytes(72).toString('base64url');
  const kind = input.kind ?? 'source';
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await tx.insert(clients).values({
      id: clientId,
      name,
      kind,
      regionCode: region.code,
      secretHashEnc: ctx.vault.seal('client.secret', sm3(secret).toString('hex')),
      createdAt: now,
      createdBy: actor.id,
    });
    await appendAudit(
      tx,
      actor,
      {
        action: 'client.create',
        regionCode: region.code,
        targetType: 'client',
        targetId: clientId,
        details: { name, kind },
      },
      { at: now, requestId: ctx.requestId },
    );
  });
  return { clientId, secret, name, kind, regionCode: region.code };
}
