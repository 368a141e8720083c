import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { holderOtps, holderSessions, holderSignInGuards } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { ServiceContext } from '../context.ts';
import {
  codeHash,
  credentialPair,
  findHolderByPair,
  type HolderCredentials,
  holderActor,
  holderTokenHash,
  localTime,
  lockPair,
  sameHash,
  walletPolicy,
} from './policy.ts';

export interface HolderLoginResult {
  token: string;
  expiresAt: Date;
}

type Outcome =
  | { kind: 'ok'; token: string; expiresAt: Date }
  | { kind: 'locked'; until: Date }
  | { kind: 'invalid' };

/**
 * Code sign-in. Wrong, expired, used and never-sent codes fail alike and all count: after
 * `maxFailures` in a row the pair is locked for `lockMs` and its live code is voided. The
 * counter keys on the (id, phone) pair, not on the holder row, so a pair that matches no
 * holder locks the same way and the lockout reveals nothing.
 */
export async function loginHolder(
  ctx: ServiceContext,
  input: HolderCredentials & { code: string },
): Promise<HolderLoginResult> {
  const now = ctx.clock.now();
  const pair = credentialPair(ctx, input);
  const meta = { at: now, requestId: ctx.requestId };
  const regionCode = ctx.config.province.code;

  // Failures are counted inside the transaction and thrown after it commits, so the count sticks.
  const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
    await lockPair(tx, pair);
    const holder = await findHolderByPair(tx, pair);
    const actor = holderActor(ctx, holder?.id ?? null);
    const target = holder ? { targetType: 'holder', targetId: holder.id } : {};
    const [guard] = await tx
      .select()
      .from(holderSignInGuards)
      .where(
        and(eq(holderSignInGuards.idIndex, pair.idIndex), eq(holderSignInGuards.phoneIndex, pair.phoneIndex)),
      );

    if (guard?.lockedUntil && guard.lockedUntil > now) {
      await appendAudit(
        tx,
        actor,
        {
          action: 'holder.login_failed',
          regionCode,
          ...target,
          outcome: 'failure',
          details: { reason: 'locked' },
        },
        meta,
      );
      return { kind: 'locked', until: guard.lockedUntil };
    }

    const [otp] = await tx
      .select()
      .from(holderOtps)
      .where(
        and(
          eq(holderOtps.idIndex, pair.idIndex),
          eq(holderOtps.phoneIndex, pair.phoneIndex),
          isNull(holderOtps.consumedAt),
          isNotNull(holderOtps.codeHash),
        ),
      )
      .orderBy(desc(holderOtps.createdAt))
      .limit(1);
    const reason =
      !holder || !otp || otp.holderId !== holder.id
        ? 'no_live_code'
        : otp.expiresAt <= now
          ? 'expired'
          : !sameHash(codeHash(ctx, otp.id, input.code), otp.codeHash!)
            ? 'wrong_code'
            : null;

    if (reason) {
      const [updated] = await tx
        .insert(holderSignInGuards)
        .values({ ...pair, failedAttempts: 1, updatedAt: now })
        .onConflictDoUpdate({
          target: [holderSignInGuards.idIndex, holderSignInGuards.phoneIndex],
          set: { failedAttempts: sql`${holderSignInGuards.failedAttempts} + 1`, updatedAt: now },
        })
        .returning({ failedAttempts: holderSignInGuards.failedAttempts });
      const attempts = updated?.failedAttempts ?? 1;
      await appendAudit(
        tx,
        actor,
        {
          action: 'holder.login_failed',
          regionCode,
          ...target,
          outcome: 'failure',
          details: { reason, attempts },
        },
        meta,
      );
      if (attempts < walletPolicy.maxFailures) return { kind: 'invalid' };
      const until = new Date(now.getTime() + walletPolicy.lockMs);
      await tx
        .update(holderSignInGuards)
        .set({ failedAttempts: 0, lockedUntil: until, updatedAt: now })
        .where(
          and(
            eq(holderSignInGuards.idIndex, pair.idIndex),
            eq(holderSignInGuards.phoneIndex, pair.phoneIndex),
          ),
        );
      // The code under attack dies with the lockout; the holder asks for a new one afterwards.
      if (otp) await tx.update(holderOtps).set({ consumedAt: now }).where(eq(holderOtps.id, otp.id));
      await appendAudit(
        tx,
        actor,
        { action: 'holder.locked', regionCode, ...target, details: { until: until.toISOString() } },
        meta,
      );
      return { kind: 'locked', until };
    }

    // Single use: the row is consumed under the pair lock, so a replay finds no live code.
    await tx.update(holderOtps).set({ consumedAt: now }).where(eq(holderOtps.id, otp!.id));
    await tx
      .update(holderSignInGuards)
      .set({ failedAttempts: 0, lockedUntil: null, updatedAt: now })
      .where(
        and(eq(holderSignInGuards.idIndex, pair.idIndex), eq(holderSignInGuards.phoneIndex, pair.phoneIndex)),
      );
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + walletPolicy.sessionMaxMs);
    await tx.insert(holderSessions).values({
      tokenHash: holderTokenHash(token),
      holderId: holder!.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
    });
    await appendAudit(tx, actor, { action: 'holder.login', regionCode, ...target }, meta);
    return { kind: 'ok', token, expiresAt };
  });

  if (outcome.kind === 'locked') {
    throw new AppError(
      'OTP_LOCKED',
      `验证码连续错误次数过多，验证码登录已锁定至 ${localTime(outcome.until)}`,
      {
        details: { lockedUntil: outcome.until.toISOString() },
      },
    );
  }
  if (outcome.kind === 'invalid') throw new AppError('OTP_INVALID', '验证码错误或已失效，请重新获取');
  return { token: outcome.token, expiresAt: outcome.expiresAt };
}
