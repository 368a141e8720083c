import { maskPhone } from '../../domain/masking.ts';
import { getRegion } from '../../domain/regions.ts';
import { isRoleId, roles } from '../../domain/roles.ts';
import type { staffUsers } from '../../store/schema.ts';
import type { PiiVault } from '../pii.ts';

export interface StaffView {
  id: string;
  username: string;
  displayName: string;
  role: string;
  roleName: string;
  regionCode: string;
  regionName: string;
  department: string | null;
  /** Masked (138****5678); the full number is never listed. */
  phone: string | null;
  status: 'active' | 'disabled';
  locked: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export function toStaffView(row: typeof staffUsers.$inferSelect, vault: PiiVault, now: Date): StaffView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    roleName: isRoleId(row.role) ? roles[row.role].name : row.role,
    regionCode: row.regionCode,
    regionName: getRegion(row.regionCode)?.fullName ?? row.regionCode,
    department: row.department,
    phone: row.phoneEnc ? maskPhone(vault.open('staff.phone', row.phoneEnc)) : null,
    status: row.status,
    locked: !!row.lockedUntil && row.lockedUntil > now,
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
