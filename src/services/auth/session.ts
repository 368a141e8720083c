import { and, eq, isNull } from 'drizzle-orm';
import { sm3Hex } from '../../crypto/sm3.ts';
import { isRoleId, roles } from '../../domain/roles.ts';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
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
 * How long this node answers a session from memory before asking the store again. Logout, an
 * account disabled, a role changed or a password reset on THIS node end the session at once
 * (`forgetStaffSessions`); one ended on another API node stops working here within this time.
 * Expiry and idle time are checked on every request, cached or not.
 */
export const SESSION_CACHE_MS = 5_000;
const SESSION_CACHE_MAX = 10_000;

interface CachedSession {
  actor: StaffActor;
  expiresAt: Date;
  lastSeenAt: Date;
  /** performance.now() of the read: real time, whatever clock the service runs on. */
  readAt: number;
}

/** Per database handle, so apps in one process (tests, two engines) never share sessions. */
const sessionCaches = new WeakMap<Db, Map<string, CachedSession>>();
/** Bumped by every forget: a read that began before one is not cached (it may predate the change). */
let forgetEpoch = 0;

function sessionCache(db: Db): Map<string, CachedSession> {
  let cache = sessionCaches.get(db);
  if (!cache) {
    cache = new Map();
    sessionCaches.set(db, cache);
  }
  return cache;
}

async function readSession(ctx: ServiceContext, tokenHash: string): Promise<CachedSession | null> {
  const cache = sessionCache(ctx.db);
  const cached = cache.get(tokenHash);
  if (cached && performance.now() - cached.readAt <= SESSION_CACHE_MS) return cached;
  if (cached) cache.delete(tokenHash);
  const epoch = forgetEpoch;
  const [row] = await ctx.db
    .select({ session: staffSessions, user: staffUsers })
    .from(staffSessions)
    .innerJoin(staffUsers, eq(staffSessions.userId, staffUsers.id))
    .where(and(eq(staffSessions.tokenHash, tokenHash), isNull(staffSessions.revokedAt)));
  if (row?.user.status !== 'active') return null;
  const session: CachedSession = {
    actor: toStaffActor(row.user),
    expiresAt: row.session.expiresAt,
    lastSeenAt: row.session.lastSeenAt,
    readAt: performance.now(),
  };
  if (epoch === forgetEpoch) {
    if (cache.size >= SESSION_CACHE_MAX) cache.clear();
    cache.set(tokenHash, session);
  }
  return session;
}

/**
 * Makes this node ask the store again about a user's sessions (or one token's). Call it after the
 * transaction that ended them has committed.
 */
export function forgetStaffSessions(db: Db, which: { userId: string } | { token: string }): void {
  forgetEpoch++;
  const cache = sessionCaches.get(db);
  if (!cache) return;
  if ('token' in which) {
    cache.delete(sessionTokenHash(which.token));
    return;
  }
  for (const [hash, session] of cache) if (session.actor.id === which.userId) cache.delete(hash);
}

/**
 * Resolves a bearer token to the acting staff member. A session ends at its absolute expiry,
 * after `session.idleMinutes` without use, at logout, or when the account is disabled. The
 * session is answered from memory for up to SESSION_CACHE_MS (see there).
 */
export async function authenticateStaff(ctx: ServiceContext, token: string): Promise<StaffActor> {
  const now = ctx.clock.now();
  const tokenHash = sessionTokenHash(token);
  const session = await readSession(ctx, tokenHash);
  const idleLimit = ctx.config.session.idleMinutes * 60_000;
  if (!session || session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > idleLimit) {
    throw new AppError('UNAUTHENTICATED', '登录已失效，请重新登录');
  }
  if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await ctx.db.update(staffSessions).set({ lastSeenAt: now }).where(eq(staffSessions.tokenHash, tokenHash));
    session.lastSeenAt = now;
  }
  return session.actor;
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
  forgetStaffSessions(ctx.db, { token });
}
