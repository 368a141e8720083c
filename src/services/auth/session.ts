import { and, eq, isNull } from 'drizzle-orm';
import { sm3Hex } from '../../crypto/sm3.ts';
import { isRoleId, roles } from '../../domain/roles.ts';
import { AppError } from '../../errors.ts';
import { staffSessions, staffUsers } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';

export type StaffUserRow = typeof staffUsers.$inferSelect;
export type StaffActor = Extract<Actor, { type: 'staff' }>;

export function toStaffActor(user: StaffUserRow): StaffActor {
  if (!isRoleId(user.role)) throw new AppError('FORBIDDEN', '账户角色无效');
  return {
    type: 'staff',
    id: user.id,
    username: user.username,
    role: user.role,
    regionCode: user.regionCode,
    permissions: roles[user.role].permissions,
  };
}

export function sessionTokenHash(token: string): string {
  return sm3Hex(`roadcert-session:${token}`);
}

/** Only refresh last_seen_at once a minute, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Resolves a bearer token to the acting staff member. A session ends at its absolute expiry,
 * after `session.idleMinutes` without use, at logout, or when the account is disabled.
 */
export async function authenticateStaff(ctx: ServiceContext, token: string): Promise<StaffActor> {
  const now = ctx.clock.now();
  const tokenHash = sessionTokenHash(token);
  const [row] = await ctx.db
    .select({ session: staffSessions, user: staffUsers })
    .from(staffSessions)
    .innerJoin(staffUsers, eq(staffSessions.userId, staffUsers.id))
    .where(and(eq(staffSessions.tokenHash, tokenHash), isNull(staffSessions.revokedAt)));
  const idleLimit = ctx.config.session.idleMinutes * 60_000;
  if (
    !row ||
    row.session.expiresAt <= now ||
    now.getTime() - row.session.lastSeenAt.getTime() > idleLimit ||
    row.user.status !== 'active'
  ) {
    throw new AppError('UNAUTHENTICATED', '登录已失效，请重新登录');
  }
  if (now.getTime() - row.session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await ctx.db.update(staffSessions).set({ lastSeenAt: now }).where(eq(staffSessions.tokenHash, tokenHash));
  }
  return toStaffActor(row.user);
}

export async function logoutStaff(ctx: ServiceContext, actor: StaffActor, token: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(staffSessions)
      .set({ revokedAt: now })
      .where(and(eq(staffSessions.tokenHash, sessionTokenHash(token)), isNull(staffSessions.revokedAt)));
    await appendAudit(
      tx,
      actor,
      { action: 'auth.logout', regionCode: actor.regionCode, targetType: 'staff', targetId: actor.id },
      { at: now, requestId: ctx.requestId },
    );
  });
}
