import { isWithinRegion, requireRegion } from '../../domain/regions.ts';
import { isRoleId, roles } from '../../domain/roles.ts';
import { AppError } from '../../errors.ts';
import { isUniqueViolation } from '../../store/errors.ts';
import { staffUsers } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { assertPasswordStrength, hashPassword } from '../auth/password.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertActsIn, requirePermission } from '../scope.ts';
import { type StaffView, toStaffView } from './staff-view.ts';

export interface CreateStaffInput {
  username: string;
  password: string;
  role: string;
  regionCode: string;
  displayName?: string;
  department?: string;
  phone?: string;
}

export const USERNAME_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{2,31}$/;
export const MOBILE_PATTERN = /^1[3-9]\d{9}$/;

/**
 * Creates a staff account inside the actor's region subtree, with a role the actor may manage
 * (a province admin may create any role; an e-cert manager only officers of its department).
 */
export async function createStaff(
  ctx: ServiceContext,
  actor: Actor,
  input: CreateStaffInput,
): Promise<StaffView> {
  requirePermission(actor, 'staff.manage');
  if (!USERNAME_PATTERN.test(input.username)) {
    throw new AppError(
      'VALIDATION_FAILED',
      '用户名须以字母开头，由 3–32 位字母、数字、点、下划线或连字符组成',
      {
        details: { field: 'username' },
      },
    );
  }
  if (!isRoleId(input.role)) {
    throw new AppError('ROLE_UNKNOWN', `角色 ${input.role} 不存在，可选：${Object.keys(roles).join('、')}`, {
      details: { field: 'role' },
    });
  }
  const role = roles[input.role];
  if (actor.type === 'staff' && !roles[actor.role].manages.includes(role.id)) {
    throw new AppError('FORBIDDEN', `当前角色不能创建“${role.name}”账户`);
  }
  const region = requireRegion(input.regionCode);
  if (!isWithinRegion(region.code, ctx.config.province.code)) {
    throw new AppError('REGION_OUTSIDE_SCOPE', `区划 ${region.code} 不属于本省`, {
      details: { field: 'regionCode' },
    });
  }
  assertActsIn(actor, region.code);
  if (!role.levels.includes(region.level)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `“${role.name}”只能设在${role.levels.map(levelName).join('、')}级区划`,
      {
        details: { field: 'regionCode' },
      },
    );
  }
  if (input.phone !== undefined && !MOBILE_PATTERN.test(input.phone)) {
    throw new AppError('VALIDATION_FAILED', '手机号码须为 11 位中国大陆手机号', {
      details: { field: 'phone' },
    });
  }
  assertPasswordStrength(input.password, input.username);

  const now = ctx.clock.now();
  const passwordHash = await hashPassword(input.password);
  try {
    return await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(staffUsers)
        .values({
          username: input.username,
          displayName: input.displayName?.trim() || input.username,
          role: role.id,
          regionCode: region.code,
          department: input.department?.trim() || null,
          phoneEnc: input.phone ? ctx.vault.seal('staff.phone', input.phone) : null,
          phoneIndex: input.phone ? ctx.vault.index('staff.phone', input.phone) : null,
          passwordHash,
          createdAt: now,
          updatedAt: now,
          passwordChangedAt: now,
        })
        .returning();
      if (!row) throw new Error('insert returned no row');
      await appendAudit(
        tx,
        actor,
        {
          action: 'staff.create',
          regionCode: region.code,
          targetType: 'staff',
          targetId: row.id,
          details: { username: row.username, role: row.role },
        },
        { at: now, requestId: ctx.requestId },
      );
      return toStaffView(row, ctx.vault, now);
    });
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new AppError('USERNAME_TAKEN', `用户名 ${input.username} 已被使用`, {
        details: { field: 'username' },
      });
    }
    throw e;
  }
}

function levelName(level: 'province' | 'city' | 'county'): string {
  return { province: '省', city: '市', county: '县（区）' }[level];
}
