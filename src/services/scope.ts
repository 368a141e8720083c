import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { isWithinRegion, regionScopePrefix } from '../domain/regions.ts';
import type { Permission } from '../domain/roles.ts';
import { AppError } from '../errors.ts';
import type { Actor } from './context.ts';

/*
 * Region scoping, enforced in the service layer: a staff member sees and touches only
 * rows of their own region subtree. Rows outside it behave as if they did not exist (404), so
 * an outsider learns nothing about them.
 */

export function requirePermission(actor: Actor, permission: Permission): void {
  if (actor.type === 'staff' && !actor.permissions.includes(permission)) {
    throw new AppError('FORBIDDEN', `当前角色无权执行此操作（需要权限 ${permission}）`);
  }
}

export function inScope(actor: Actor, regionCode: string): boolean {
  return isWithinRegion(regionCode, actor.regionCode);
}

/** For a row the actor asked for by id: outside the subtree it is "not found". */
export function assertVisible(actor: Actor, regionCode: string, what = '资源'): void {
  if (!inScope(actor, regionCode)) throw new AppError('NOT_FOUND', `${what}不存在`);
}

/** For a region the actor names as the target of an action (creating inside it). */
export function assertActsIn(actor: Actor, regionCode: string): void {
  if (!inScope(actor, regionCode)) {
    throw new AppError('REGION_OUTSIDE_SCOPE', `区划 ${regionCode} 不在本账户管辖范围内`);
  }
}

/**
 * SQL condition selecting rows of a region subtree. Written as a range on the code prefix
 * ('2102' <= code < '2103') so a plain btree index on region_code serves it under any collation.
 */
export function regionFilter(column: AnyColumn, regionCode: string): SQL {
  const prefix = regionScopePrefix(regionCode);
  // Digit strings of one length compare the same under every collation.
  const upper = String(Number(prefix) + 1).padStart(prefix.length, '0');
  return sql`(${column} >= ${prefix} and ${column} < ${upper})`;
}

export function scopeFilter(column: AnyColumn, actor: Actor): SQL {
  return regionFilter(column, actor.regionCode);
}
