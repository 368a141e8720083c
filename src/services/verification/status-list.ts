import { asc, inArray } from 'drizzle-orm';
import { canonicalJson } from '../../crypto/canonical-json.ts';
import { certificates } from '../../store/schema.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { Keyring } from '../keys/keyring.ts';
import { requirePermission } from '../scope.ts';

export const STATUS_LIST_MAX_AGE_SECONDS = 86_400;

export interface StatusList {
  issuedAt: string;
  maxAgeSeconds: number;
  /** Key id of the seal that signed; its certificate is in `GET /api/v1/trust`. */
  sealKeyId: string;
  entries: { identifier: string; status: 'revoked' | 'suspended' | 'superseded' }[];
  /** SM2 (default ID) over the RFC 8785 canonical JSON of every other field, DER, base64. */
  signature: string;
}

/**
 * The province's list of certificate versions not in force, signed by the seal, so an
 * officer's page can check offline codes against it for a day. Staff only: identifiers must
 * not be enumerable by the public. Expired versions are left out: their validity date says so.
 */
export async function getStatusList(
  ctx: ServiceContext,
  keyring: Keyring,
  actor: Actor,
): Promise<StatusList> {
  requirePermission(actor, 'certificates.verify');
  const signer = keyring.sealSigner();
  const rows = await ctx.db
    .select({ identifier: certificates.identifier, status: certificates.status })
    .from(certificates)
    .where(inArray(certificates.status, ['revoked', 'suspended', 'superseded']))
    .orderBy(asc(certificates.identifier));
  const body = {
    issuedAt: ctx.clock.now().toISOString(),
    maxAgeSeconds: STATUS_LIST_MAX_AGE_SECONDS,
    sealKeyId: signer.keyId,
    entries: rows as StatusList['entries'],
  };
  const signature = await signer.sign(Buffer.from(canonicalJson(body), 'utf8'));
  return { ...body, signature: signature.toString('base64') };
}
