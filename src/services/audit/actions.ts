/**
 * The closed list of audit actions. Each names one kind of state change or read of
 * personal data; a new kind of event gets a new entry, never a reused one.
 */
export const auditActions = {
  'auth.login': '登录成功',
  'auth.login_failed': '登录失败',
  'auth.locked': '账户因连续登录失败被锁定',
  'auth.logout': '退出登录',
  'staff.create': '创建工作人员账户',
  'staff.update': '修改工作人员账户',
  'staff.unlock': '解除账户锁定',
  'staff.password_reset': '重置工作人员密码',
  'staff.read_personal': '查看工作人员个人信息',
  'catalog.version_create': '创建证照目录版本',
  'catalog.version_lock': '证照目录版本启用后锁定',
  'keys.init': '生成省级根密钥与签章密钥',
  'keys.replace': '替换省级签章密钥',
  'audit.verify': '校验审计日志链',
} as const;

export type AuditAction = keyof typeof auditActions;
