import { timingSafeEqual } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { sm3Hex } from '../../crypto/sm3.ts';
import type { Db } from '../../store/db.ts';
import { holders } from '../../store/schema.ts';
import { type AuditEntry, appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { holderIndex } from '../holders/upsert-holder.ts';

/**
 * The wallet's sign-in rules in one place. They are fixed, not configured: they are the security
 * promise made to holders, and changing them should be a reviewed code change.
 */
export const walletPolicy = {
  codeDigits: 6,
  codeTtlMs: 5 * 60_000,
  resendAfterMs: 60_000,
  maxCodesPerHour: 5,
  maxFailures: 5,
  lockMs: 15 * 60_000,
  sessionIdleMs: 30 * 60_000,
  sessionMaxMs: 7 * 24 * 3_600_000,
} as const;

/** What a holder names to sign in: id type + id (身份证号或统一社会信用代码) and mobile phone. */
export interface HolderCredentials {
  idType: string;
  id: string;
  phone: string;
}

/** The blind indexes of a credential pair; rate limits and lockouts key on these, never on raw values. */
export function credentialPair(
  ctx: ServiceContext,
  c: HolderCredentials,
): { idIndex: string; phoneIndex: string } {
  return {
    idIndex: holderIndex(ctx.vault, c.idType, c.id),
    phoneIndex: ctx.vault.index('holder.phone', c.phone),
  };
}

/**
 * Serialises everything done for one (id, phone) pair inside a transaction: rate counting,
 * the failure counter and single use of a code then hold under concurrent requests.
 */
export async function lockPair(tx: Db, pair: { idIndex: string; phoneIndex: string }): Promise<void> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtext(${`holder-pair:${pair.idIndex}:${pair.phoneIndex}`}))`,
  );
}

/**
 * Keyed SM3 (HMAC) of a code bound to its row: a stolen table cannot be brute-forced offline
 * without the KEK, and a code cannot be replayed against another row.
 */
export function codeHash(ctx: ServiceContext, otpId: string, code: string): string {
  return ctx.vault.index('holder.otp', `${otpId}:${code}`);
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Distinct from the staff session hash, so a token of one kind can never resolve as the other. */
export function holderTokenHash(token: string): string {
  return sm3Hex(`roadcert-holder-session:${token}`);
}

/**
 * How a holder appears in the audit trail. The Actor union has no holder variant yet, so a holder
 * is recorded as actor id `holder:<uuid>` (a person, attributable) in the province's chain.
 */
export function holderActor(ctx: ServiceContext, holderId: string | null): Actor {
  return {
    type: 'system',
    id: holderId ? `holder:${holderId}` : 'holder:anonymous',
    regionCode: ctx.config.province.code,
  };
}

/**
 * Records that a holder read their own data (`holder.read`): their profile, inbox or certificate
 * list (target: the holder) or one certificate (target: the certificate, in its region).
 */
export async function recordHolderRead(
  ctx: ServiceContext,
  holderId: string,
  target:
    | { what: 'profile' | 'inbox' | 'certificates' | 'grants' | 'usage'; count?: number }
    | { certificate: string; regionCode: string },
): Promise<void> {
  const entry: AuditEntry =
    'certificate' in target
      ? {
          action: 'holder.read',
          regionCode: target.regionCode,
          targetType: 'certificate',
          targetId: target.certificate,
        }
      : {
          action: 'holder.read',
          regionCode: ctx.config.province.code,
          targetType: 'holder',
          targetId: holderId,
          details:
            target.count === undefined ? { what: target.what } : { what: target.what, count: target.count },
        };
  await ctx.db.transaction((tx) =>
    appendAudit(tx, holderActor(ctx, holderId), entry, { at: ctx.clock.now(), requestId: ctx.requestId }),
  );
}

/** The holder with this id and this phone, if any (blind indexes: nothing is decrypted). */
export async function findHolderByPair(
  tx: Db,
  pair: { idIndex: string; phoneIndex: string },
): Promise<{ id: string } | undefined> {
  const [holder] = await tx
    .select({ id: holders.id })
    .from(holders)
    .where(and(eq(holders.idIndex, pair.idIndex), eq(holders.phoneIndex, pair.phoneIndex)));
  return holder;
}

/** 2026-03-02 10:15:00 in Beijing time, for messages. */
export function localTime(at: Date): string {
  return at.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}
