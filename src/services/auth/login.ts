import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { roles } from '../../domain/roles.ts';
import { AppError } from '../../errors.ts';
import { staffSessions, staffUsers } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { dummyPasswordHash, verifyPassword } from './password.ts';
import { sessionTokenHash, toStaffActor } from './session.ts';

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: { id: string; username: string; displayName: string; role: string; regionCode: string };
}

function anonymous(ctx: ServiceContext): Actor {
  return { type: 'system', id: 'anonymous', regionCode: ctx.config.province.code };
}

/**
 * Staff sign-in with lockout: after `login.maxFailures` consecutive wrong passwords the account
 * is locked for `login.lockMinutes`. Unknown usernames cost the same time as known ones.
 */
export async function loginStaff(
  ctx: ServiceContext,
  input: { username: string; password: string },
): Promise<LoginResult> {
  const now = ctx.clock.now();
  const meta = { at: now, requestId: ctx.requestId };
  const [user] = await ctx.db
    .select()
    .from(staffUsers)
    .where(sql`lower(${staffUsers.username}) = lower(${input.username})`);

  if (!user) {
    await verifyPassword(input.password, await dummyPasswordHash());
    await ctx.db.transaction((tx) =>
      appendAudit(
        tx,
        anonymous(ctx),
        {
          action: 'auth.login_failed',
          regionCode: ctx.config.province.code,
          outcome: 'failure',
          details: { reason: 'unknown_user' },
        },
        meta,
      ),
    );
    throw new AppError('INVALID_CREDENTIALS');
  }

  if (user.lockedUntil && user.lockedUntil > now) {
    await ctx.db.transaction((tx) =>
      appendAudit(
        tx,
        anonymous(ctx),
        {
          action: 'auth.login_failed',
          regionCode: user.regionCode,
          targetType: 'staff',
          targetId: user.id,
          outcome: 'failure',
          details: { reason: 'locked' },
        },
        meta,
      ),
    );
    throw lockedError(user.lockedUntil);
  }

  const ok = await verifyPassword(input.password, user.passwordHash);
  if (!ok) {
    const lockedUntil = await ctx.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(staffUsers)
        .set({ failedAttempts: sql`${staffUsers.failedAttempts} + 1` })
        .where(eq(staffUsers.id, user.id))
        .returning({ failedAttempts: staffUsers.failedAttempts });
      const attempts = updated?.failedAttempts ?? 0;
      const target = { regionCode: user.regionCode, targetType: 'staff', targetId: user.id } as const;
      await appendAudit(
        tx,
        anonymous(ctx),
        {
          action: 'auth.login_failed',
          ...target,
          outcome: 'failure',
          details: { reason: 'bad_password', attempts },
        },
        meta,
      );
      if (attempts < ctx.config.login.maxFailures) return null;
      const until = new Date(now.getTime() + ctx.config.login.lockMinutes * 60_000);
      await tx
        .update(staffUsers)
        .set({ lockedUntil: until, failedAttempts: 0 })
        .where(eq(staffUsers.id, user.id));
      await appendAudit(
        tx,
        anonymous(ctx),
        { action: 'auth.locked', ...target, details: { until: until.toISOString() } },
        meta,
      );
      return until;
    });
    if (lockedUntil) throw lockedError(lockedUntil);
    throw new AppError('INVALID_CREDENTIALS');
  }

  if (user.status !== 'active') throw new AppError('ACCOUNT_DISABLED', '账户已停用，请联系管理员');

  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ctx.config.session.maxHours * 3_600_000);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(staffUsers)
      .set({ failedAttempts: 0, lockedUntil: null, lastLoginAt: now })
      .where(eq(staffUsers.id, user.id));
    await tx.insert(staffSessions).values({
      tokenHash: sessionTokenHash(token),
      userId: user.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
    });
    await appendAudit(
      tx,
      toStaffActor(user),
      { action: 'auth.login', regionCode: user.regionCode, targetType: 'staff', targetId: user.id },
      meta,
    );
  });
  return {
    token,
    expiresAt,
    user: {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      role: roles[user.role as keyof typeof roles] ? user.role : 'unknown',
      regionCode: user.regionCode,
    },
  };
}

function lockedError(until: Date): AppError {
  const local = until.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  return new AppError('ACCOUNT_LOCKED', `连续登录失败次数过多，账户已锁定至 ${local}`, {
    details: { lockedUntil: until.toISOString() },
  });
}
