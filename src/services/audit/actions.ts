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
  'client.create': '注册接入系统（运政系统或用证方）',
  'client.update': '修改接入系统',
  'intake.auth_failed': '接入系统请求鉴权失败',
  'intake.nonstandard': '收到不规范数据，进入补正队列',
  'licence.baseline': '归集存量纸质证照',
  'certificate.issue': '签发电子证照',
  'certificate.new_version': '生成电子证照新版本（年审、变更、补发换发）',
  'certificate.suspend': '暂停电子证照',
  'certificate.resume': '恢复电子证照',
  'certificate.revoke': '注销电子证照',
  'certificate.expire': '电子证照过期',
  'certificate.read': '查看电子证照（含个人信息）',
  'nonstandard.read': '查看不规范数据（含个人信息）',
  'nonstandard.correct': '补正不规范数据',
  'nonstandard.resubmit': '补正后重新提交',
  'outage.report': '报告推送故障',
  'outage.clear': '报告故障排除',
  'outage.complete': '完成故障后重新推送',
  'outage.overdue': '故障后重新推送逾期',
  'import.run': '批量导入证照数据',
} as const;

export type AuditAction = keyof typeof auditActions;
