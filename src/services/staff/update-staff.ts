import { and, eq, isNull } from 'drizzle-orm';
import { isRoleId, roles } from '../../domain/roles.ts';
import { AppError } from '../../errors.ts';
import { staffSessions, staffUsers } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { assertPasswordStrength, hashPassword } from '../auth/password.ts';
import { forgetStaffSessions } from '../auth/session.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertVisible, requirePermission } from '../scope.ts';
import { MOBILE_PATTERN } from './create-staff.ts';
import { findStaffRow } from './query-staff.ts';
import { type StaffView, toStaffView } from './staff-view.ts';

export interface UpdateStaffInput {
  displayName?: string;
  department?: string | null;
  phone?: string | null;
  status?: 'active' | 'disabled';
  role?: string;
}

async function loadManageable(ctx: ServiceContext, actor: Actor, id: string) {
  requirePermission(actor, 'staff.manage');
  const row = await findStaffRow(ctx, id);
  assertVisible(actor, row.regionCode, '工作人员账户');
  if (actor.type === 'staff') {
    if (!isRoleId(row.role) || !roles[actor.role].manages.includes(row.role)) {
      throw new AppError('FORBIDDEN', '当前角色不能管理该账户');
    }
  }
  return row;
}

/** Changes an account; disabling it or changing its role ends its open sessions at once. */
export async function updateStaff(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  input: UpdateStaffInput,
): Promise<StaffView> {
  const row = await loadManageable(ctx, actor, id);
  if (input.status === 'disabled' && actor.id === row.id) {
    throw new AppError('CONFLICT', '不能停用自己的账户');
  }
  if (input.role !== undefined) {
    if (!isRoleId(input.role))
      throw new AppError('ROLE_UNKNOWN', `角色 ${input.role} 不存在`, { details: { field: 'role' } });
    if (actor.type === 'staff' && !roles[actor.role].manages.includes(input.role)) {
      throw new AppError('FORBIDDEN', `当前角色不能授予“${roles[input.role].name}”角色`);
    }
  }
  if (input.phone && !MOBILE_PATTERN.test(input.phone)) {
    throw new AppError('VALIDATION_FAILED', '手机号码须为 11 位中国大陆手机号', {
      details: { field: 'phone' },
    });
  }
  const now = ctx.clock.now();
  const changes: Partial<typeof staffUsers.$inferInsert> = { updatedAt: now };
  const changed: string[] = [];
  if (input.displayName !== undefined && input.displayName.trim() !== row.displayName) {
    changes.displayName = input.displayName.trim();
    changed.push('displayName');
  }
  if (input.department !== undefined && (input.department?.trim() || null) !== row.department) {
    changes.department = input.department?.trim() || null;
    changed.push('department');
  }
  if (input.phone !== undefined) {
    changes.phoneEnc = input.phone ? ctx.vault.seal('staff.phone', input.phone) : null;
    changes.phoneIndex = input.phone ? ctx.vault.index('staff.phone', input.phone) : null;
    changed.push('phone');
  }
  if (input.status !== undefined && input.status !== row.status) {
    changes.status = input.status;
    changed.push('status');
  }
  if (input.role !== undefined && input.role !== row.role) {
    changes.role = input.role;
    changed.push('role');
  }
  const view = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx.update(staffUsers).set(changes).where(eq(staffUsers.id, row.id)).returning();
    if (!updated) throw new AppError('NOT_FOUND', '工作人员账户不存在');
    if (changes.status === 'disabled' || changes.role !== undefined) {
      await tx
        .update(staffSessions)
        .set({ revokedAt: now })
        .where(and(eq(staffSessions.userId, row.id), isNull(staffSessions.revokedAt)));
    }
    await appendAudit(
      tx,
      actor,
      {
        action: 'staff.update',
        regionCode: row.regionCode,
        targetType: 'staff',
        targetId: row.id,
        details: {
          changed,
          ...(changes.status ? { status: { before: row.status, after: changes.status } } : {}),
          ...(changes.role ? { role: { before: row.role, after: changes.role } } : {}),
        },
      },
      { at: now, requestId: ctx.requestId },
    );
    return toStaffView(updated, ctx.vault, now);
  });
  // This node's session cache must not outlive the sessions ended above.
  if (changes.status === 'disabled' || changes.role !== undefined)
    forgetStaffSessions(ctx.db, { userId: row.id });
  return view;
}

export async function unlockStaff(ctx: ServiceContext, actor: Actor, id: string): Promise<StaffView> {
  const row = await loadManageable(ctx, actor, id);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(staffUsers)
      .set({ lockedUntil: null, failedAttempts: 0, updatedAt: now })
      .where(eq(staffUsers.id, row.id))
      .returning();
    await appendAudit(
      tx,
      actor,
      { action: 'staff.unlock', regionCode: row.regionCode, targetType: 'staff', targetId: row.id },
      { at: now, requestId: ctx.requestId },
    );
    return toStaffView(updated!, ctx.vault, now);
  });
}

/** Sets a new password chosen by the administrator and ends the account's sessions. */
export async function resetStaffPassword(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  password: string,
): Promise<void> {
  const row = await loadManageable(ctx, actor, id);
  assertPasswordStrength(password, row.username);
  const now = ctx.clock.now();
  const passwordHash = await hashPassword(password);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(staffUsers)
      .set({ passwordHash, passwordChangedAt: now, failedAttempts: 0, lockedUntil: null, updatedAt: now })
      .where(eq(staffUsers.id, row.id));
    await tx
      .update(staffSessions)
      .set({ revokedAt: now })
      .where(and(eq(staffSessions.userId, row.id), isNull(staffSessions.revokedAt)));
    await appendAudit(
      tx,
      actor,
      { action: 'staff.password_reset', regionCode: row.regionCode, targetType: 'staff', targetId: row.id },
      { at: now, requestId: ctx.requestId },
    );
  });
  forgetStaffSessions(ctx.db, { userId: row.id });
}
