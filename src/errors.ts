/**
 * The one error type of roadcert. Every code is unique, stable and never reused; the
 * HTTP layer maps it once to `application/problem+json`. `message` is Chinese, for
 * people; `code` is for programs. Internal detail goes to `cause` and the log only.
 */
export const errorCatalog = {
  // generic request problems
  BAD_REQUEST: { status: 400, title: '请求格式不正确' },
  VALIDATION_FAILED: { status: 400, title: '请求参数校验未通过' },
  PAYLOAD_TOO_LARGE: { status: 413, title: '请求体过大' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: '不支持的内容类型' },
  NOT_FOUND: { status: 404, title: '资源不存在' },
  CONFLICT: { status: 409, title: '资源状态冲突' },
  RATE_LIMITED: { status: 429, title: '请求过于频繁' },
  INTERNAL: { status: 500, title: '服务器内部错误' },
  NOT_READY: { status: 503, title: '服务暂不可用' },
  // authentication and authorization
  UNAUTHENTICATED: { status: 401, title: '未登录或登录已失效' },
  INVALID_CREDENTIALS: { status: 401, title: '用户名或密码错误' },
  ACCOUNT_LOCKED: { status: 423, title: '账户已锁定' },
  ACCOUNT_DISABLED: { status: 403, title: '账户已停用' },
  FORBIDDEN: { status: 403, title: '无权执行此操作' },
  // configuration and keys
  CONFIG_INVALID: { status: 500, title: '配置无效' },
  KEY_NOT_INITIALIZED: { status: 503, title: '签章密钥尚未初始化' },
  KEY_DECRYPT_FAILED: { status: 500, title: '密钥解密失败' },
  KEY_EXISTS: { status: 409, title: '密钥已存在' },
  CRYPTO_INVALID_INPUT: { status: 400, title: '密码运算输入无效' },
  CRYPTO_NATIVE_UNAVAILABLE: { status: 503, title: '国密原生模块不可用' },
  CRYPTO_OPERATION_FAILED: { status: 500, title: '密码运算失败' },
  CRYPTO_AUTH_FAILED: { status: 500, title: '密文完整性校验失败' },
  // reference data and catalog
  REGION_UNKNOWN: { status: 400, title: '行政区划代码不存在' },
  REGION_OUTSIDE_SCOPE: { status: 403, title: '超出本账户管辖区域' },
  KIND_UNKNOWN: { status: 400, title: '证照类型不存在' },
  CATALOG_VERSION_IMMUTABLE: { status: 409, title: '目录版本已被使用，不能修改' },
  IDENTIFIER_INVALID: { status: 400, title: '电子证照标识不正确' },
  // The working-day calendar only knows years whose State Council holiday notice is loaded;
  // past those it refuses rather than guess (a wrong re-push deadline is worse than none).
  CALENDAR_YEAR_UNKNOWN: { status: 500, title: '工作日历未收录该年度的节假日安排' },
  // a shipped year (from REFERENCE §7) is never replaced by loaded data
  CALENDAR_YEAR_BUILT_IN: { status: 409, title: '该年度节假日安排为系统内置' },
  // machine clients (source systems, relying parties)
  CLIENT_SIGNATURE_INVALID: { status: 401, title: '接入系统签名无效' },
  CLIENT_TIMESTAMP_SKEW: { status: 401, title: '请求时间戳超出允许范围' },
  CLIENT_REQUEST_REPLAYED: { status: 401, title: '重放的请求' },
  BATCH_TOO_LARGE: { status: 413, title: '批量记录数超过上限' },
  // staff accounts
  USERNAME_TAKEN: { status: 409, title: '用户名已存在' },
  PASSWORD_TOO_WEAK: { status: 400, title: '密码强度不足' },
  ROLE_UNKNOWN: { status: 400, title: '角色不存在' },
  // audit
  AUDIT_CHAIN_BROKEN: { status: 500, title: '审计日志链校验失败' },
  // outages: the action does not fit the outage's state (e.g. completing before clearing)
  OUTAGE_STATE: { status: 409, title: '故障记录的当前状态不允许此操作' },
  // holders (运证通 wallet sign-in)
  OTP_RATE_LIMITED: { status: 429, title: '验证码获取过于频繁' },
  // One answer for a wrong, expired, used or never-sent code, so a refusal says nothing about the holder.
  OTP_INVALID: { status: 401, title: '验证码错误或已失效' },
  OTP_LOCKED: { status: 423, title: '验证码登录已锁定' },
  // Production without an SMS gateway refuses rather than pretend a code was sent.
  SMS_UNAVAILABLE: { status: 503, title: '短信服务不可用' },
  // verification (亮证与查验): an outcome is recorded once, by the officer who checked
  VERIFICATION_OUTCOME_RECORDED: { status: 409, title: '该次查验已记录认可结果' },
  // documents: an upload that is neither an OFD package nor a PDF (judged by its first bytes)
  DOCUMENT_UNRECOGNIZED: { status: 400, title: '不是可识别的电子证照文档' },
  // document rendering: the catalog names a template that is not shipped, or a face does not fit
  TEMPLATE_UNKNOWN: { status: 500, title: '证照模板不存在' },
  DOCUMENT_LAYOUT_OVERFLOW: { status: 500, title: '照面内容超出证照版面' },
  // authorized sharing (授权用证, R-6.3). None of these depends on the identifier asked for: an
  // unknown identifier and one outside a valid grant both answer NOT_FOUND.
  SHARE_CREDENTIAL_REQUIRED: { status: 400, title: '缺少授权编号或用证码' },
  SHARE_GRANT_INVALID: { status: 403, title: '授权不存在或不属于本用证方' },
  SHARE_GRANT_WITHDRAWN: { status: 403, title: '授权已撤回' },
  SHARE_GRANT_EXPIRED: { status: 403, title: '授权已到期' },
  SHARE_CODE_INVALID: { status: 403, title: '用证码不正确' },
  SHARE_CODE_USED: { status: 403, title: '用证码已使用' },
  SHARE_CODE_EXPIRED: { status: 403, title: '用证码已过期' },
  SHARE_REFUSALS_EXCEEDED: { status: 429, title: '被拒绝的读取过多，暂停读取' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  /** Structured detail safe to show (field paths, limits); never secrets or personal data. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    opts: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message ?? errorCatalog[code].title, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = opts.details;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
