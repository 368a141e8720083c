/**
 * Staff roles and what each may do. Region scoping is separate: every role acts only inside
 * its own region subtree (county ⊂ city ⊂ province, R-4.3); this table says which actions.
 */
export const roleIds = [
  'province-admin',
  'issuing-officer',
  'ecert-manager',
  'supervisor',
  'enforcement-officer',
] as const;
export type RoleId = (typeof roleIds)[number];

export const permissions = [
  'staff.read',
  'staff.manage',
  'catalog.read',
  'catalog.manage',
  'keys.manage',
  'audit.read',
  'audit.verify',
  'records.validate',
  'certificates.read',
  'certificates.manage',
  'certificates.verify',
  'calendar.manage',
] as const;
export type Permission = (typeof permissions)[number];

export interface RoleDefinition {
  id: RoleId;
  name: string;
  description: string;
  /** Region levels an account of this role may be attached to. */
  levels: readonly ('province' | 'city' | 'county')[];
  permissions: readonly Permission[];
  /** Roles this role may create or manage (always inside its own subtree). */
  manages: readonly RoleId[];
}

export const roles: Record<RoleId, RoleDefinition> = {
  'province-admin': {
    id: 'province-admin',
    name: '省级管理员',
    description: '省级交通运输管理部门：目录、签章密钥、全省账户与监督',
    levels: ['province'],
    permissions: [...permissions],
    manages: ['province-admin', 'issuing-officer', 'ecert-manager', 'supervisor', 'enforcement-officer'],
  },
  'ecert-manager': {
    id: 'ecert-manager',
    name: '电子证照管理专员',
    description: '各签发部门指定的电子证照管理专人（R-7.1），管理本部门经办人员',
    levels: ['province', 'city', 'county'],
    permissions: [
      'staff.read',
      'staff.manage',
      'catalog.read',
      'audit.read',
      'records.validate',
      'certificates.read',
      'certificates.manage',
    ],
    manages: ['issuing-officer', 'enforcement-officer'],
  },
  'issuing-officer': {
    id: 'issuing-officer',
    name: '签发经办人员',
    description: '市、县交通运输主管部门及行政审批机构的经办人员：签发、更新、注销、补正',
    levels: ['province', 'city', 'county'],
    permissions: ['catalog.read', 'records.validate', 'certificates.read', 'certificates.manage'],
    manages: [],
  },
  supervisor: {
    id: 'supervisor',
    name: '监督人员',
    description: '省、市监督与审计人员：抽查、审计日志、年度评价（只读）',
    levels: ['province', 'city'],
    permissions: ['staff.read', 'catalog.read', 'audit.read', 'audit.verify', 'certificates.read'],
    manages: [],
  },
  'enforcement-officer': {
    id: 'enforcement-officer',
    name: '执法人员',
    description: '执法检查中查验电子证照',
    levels: ['province', 'city', 'county'],
    permissions: ['catalog.read', 'certificates.verify'],
    manages: [],
  },
};

export function isRoleId(value: string): value is RoleId {
  return (roleIds as readonly string[]).includes(value);
}

export function can(role: RoleId, permission: Permission): boolean {
  return roles[role].permissions.includes(permission);
}
