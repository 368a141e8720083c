import { randomInt, randomUUID } from 'node:crypto';
import { and, count, eq, gt, isNotNull, isNull, max, min } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { holderOtps } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { ServiceContext } from '../context.ts';
import {
  codeHash,
  credentialPair,
  findHolderByPair,
  type HolderCredentials,
  holderActor,
  lockPair,
  walletPolicy,
} from './policy.ts';
import type { SmsSender } from './sms-sender.ts';

export interface OtpRequestResult {
  /** The same for every request that is not refused, matching a holder or not. */
  message: string;
  expiresInSeconds: number;
  resendAfterSeconds: number;
  /** Demo mode only, and only when a code was really made. */
  demoCode?: string;
}

type Decision =
  | { kind: 'limited'; retryAfterMs: number; hourly: boolean }
  | { kind: 'accepted'; sent: { otpId: string; code: string } | null };

/**
 * A holder asks for a sign-in code (运证通). A code is made only when a holder with that id has
 * that phone, but the answer is the same either way, and the per-pair rate limit counts every
 * request, so neither the answer nor a 429 tells whether the pair exists.
 */
export async function requestOtp(
  ctx: ServiceContext,
  deps: { smsSender?: SmsSender | undefined },
  input: HolderCredentials,
): Promise<OtpRequestResult> {
  const demo = ctx.config.mode === 'demo';
  // Fail closed before looking anything up: without a gateway nothing can be sent, for anyone.
  if (!demo && !deps.smsSender) {
    throw new AppError('SMS_UNAVAILABLE', '短信服务未配置，暂时无法发送验证码，请稍后再试或到窗口办理');
  }
  const now = ctx.clock.now();
  const pair = credentialPair(ctx, input);
  const meta = { at: now, requestId: ctx.requestId };

  const decision = await ctx.db.transaction(async (tx): Promise<Decision> => {
    await lockPair(tx, pair);
    // Requests in the last hour, matching or not: the window for both limits (60 s < 1 h).
    const [recent] = await tx
      .select({ n: count(), oldest: min(holderOtps.createdAt), newest: max(holderOtps.createdAt) })
      .from(holderOtps)
      .where(
        and(
          eq(holderOtps.idIndex, pair.idIndex),
          eq(holderOtps.phoneIndex, pair.phoneIndex),
          gt(holderOtps.createdAt, new Date(now.getTime() - 3_600_000)),
        ),
      );
    const sinceLast = recent?.newest ? now.getTime() - recent.newest.getTime() : Number.POSITIVE_INFINITY;
    let limited: Decision | null = null;
    if ((recent?.n ?? 0) >= walletPolicy.maxCodesPerHour && recent?.oldest) {
      limited = {
        kind: 'limited',
        hourly: true,
        retryAfterMs: recent.oldest.getTime() + 3_600_000 - now.getTime(),
      };
    } else if (sinceLast < walletPolicy.resendAfterMs) {
      limited = { kind: 'limited', hourly: false, retryAfterMs: walletPolicy.resendAfterMs - sinceLast };
    }

    const holder = await findHolderByPair(tx, pair);
    const actor = holderActor(ctx, holder?.id ?? null);
    const target = holder ? { targetType: 'holder', targetId: holder.id } : {};
    if (limited) {
      await appendAudit(
        tx,
        actor,
        {
          action: 'holder.otp_not_sent',
          regionCode: ctx.config.province.code,
          ...target,
          outcome: 'failure',
          details: { reason: 'rate_limited' },
        },
        meta,
      );
      return limited;
    }

    const otpId = randomUUID();
    const code = holder
      ? String(randomInt(0, 10 ** walletPolicy.codeDigits)).padStart(walletPolicy.codeDigits, '0')
      : null;
    if (holder) {
      // At most one live code: a new request voids the previous one.
      await tx
        .update(holderOtps)
        .set({ consumedAt: now })
        .where(
          and(
            eq(holderOtps.holderId, holder.id),
            isNull(holderOtps.consumedAt),
            isNotNull(holderOtps.codeHash),
          ),
        );
    }
    await tx.insert(holderOtps).values({
      id: otpId,
      idIndex: pair.idIndex,
      phoneIndex: pair.phoneIndex,
      holderId: holder?.id ?? null,
      codeHash: code ? codeHash(ctx, otpId, code) : null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + walletPolicy.codeTtlMs),
    });
    await appendAudit(
      tx,
      actor,
      holder
        ? {
            action: 'holder.otp_sent',
            regionCode: ctx.config.province.code,
            ...target,
            details: { channel: demo ? 'demo' : 'sms' },
          }
        : {
            action: 'holder.otp_not_sent',
            regionCode: ctx.config.province.code,
            outcome: 'failure',
            details: { reason: 'no_matching_holder' },
          },
      meta,
    );
    return { kind: 'accepted', sent: code ? { otpId, code } : null };
  });

  if (decision.kind === 'limited') {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new AppError(
      'OTP_RATE_LIMITED',
      decision.hourly
        ? `1 小时内最多获取 ${walletPolicy.maxCodesPerHour} 次验证码，请 ${Math.ceil(seconds / 60)} 分钟后再试`
        : `验证码获取过于频繁，请 ${seconds} 秒后再试`,
      { details: { retryAfterSeconds: seconds } },
    );
  }

  if (decision.sent && deps.smsSender) {
    try {
      await deps.smsSender.sendSignInCode({
        phone: input.phone,
        code: decision.sent.code,
        expiresInMinutes: walletPolicy.codeTtlMs / 60_000,
      });
    } catch (cause) {
      // A code the holder never received must not stay live.
      await ctx.db.update(holderOtps).set({ consumedAt: now }).where(eq(holderOtps.id, decision.sent.otpId));
      throw new AppError('SMS_UNAVAILABLE', '短信发送失败，请稍后再试', { cause });
    }
  }

  return {
    message: `如证件号码与手机号码匹配，验证码已发送，${walletPolicy.codeTtlMs / 60_000} 分钟内有效`,
    expiresInSeconds: walletPolicy.codeTtlMs / 1000,
    resendAfterSeconds: walletPolicy.resendAfterMs / 1000,
    ...(demo && decision.sent ? { demoCode: decision.sent.code } : {}),
  };
}
