/**
 * The closed list of standard-check rule codes (不规范数据的问题类型). Codes are stable:
 * the correction queue, reports and integrators key on them, so a code is never renamed
 * or reused; a new kind of problem gets a new code. Documented in docs/catalog.md.
 */
export const ruleCodes = {
  RECORD_SHAPE: { description: '记录不是JSON对象，无法校验' },
  KIND_UNKNOWN: { description: '证照类型代码缺失或不在证照目录中' },
  CATALOG_INVALID: { description: '证照目录的校验规则本身配置有误（需省级管理员修正目录）' },
  REQUIRED: { description: '必填项缺失或为空' },
  TYPE: { description: '数据类型不正确（如应为文本却是数字、应为列表却是文本）' },
  MAX_LENGTH: { description: '超过最大长度（按字符计）' },
  PATTERN: { description: '不符合目录规定的格式' },
  CODE_TABLE: { description: '取值不在对应代码表中' },
  DATE_INVALID: { description: '不是YYYY-MM-DD格式的真实日期' },
  DATE_FUTURE: { description: '日期晚于当天（出生日期、初领日期、颁发日期不能是将来日期）' },
  DATE_ORDER: { description: '日期先后顺序不合理（如有效期截止日期不晚于起始日期）' },
  INTEGER_RANGE: { description: '整数超出允许范围（如车辆尺寸必须为正整数）' },
  CAPACITY_FORMAT: { description: '吨（座）位应为正数加单位“吨”或“座”，座位数为整数' },
  PLATE_FORMAT: { description: '车辆号牌不符合GA 36编码规则' },
  PHONE_FORMAT: { description: '手机号码不是有效的中国大陆手机号' },
  ID_FORMAT: { description: '公民身份号码长度或字符不符合GB 11643' },
  ID_CHECK_DIGIT: { description: '公民身份号码校验码错误（GB 11643，ISO 7064 MOD 11-2）' },
  ID_BIRTH_DATE: { description: '公民身份号码中的出生日期不是真实日期或晚于当天' },
  ID_REGION: { description: '公民身份号码的地址码不属于任何省级行政区划' },
  BIRTH_DATE_MISMATCH: { description: '出生日期与公民身份号码中的出生日期不一致' },
  GENDER_MISMATCH: { description: '性别与公民身份号码中的性别不一致' },
  USCC_FORMAT: { description: '统一社会信用代码长度或字符不符合GB 32100' },
  USCC_CHECK: {
    description: '统一社会信用代码校验码错误（GB 32100），或其中组织机构代码校验码错误（GB 11714）',
  },
  HOLDER_ID_TYPE: { description: '持证主体代码类型不适用于该证照类型' },
  REGION_UNKNOWN: { description: '行政区划代码不存在（GB/T 2260）' },
  REGION_OUTSIDE_PROVINCE: { description: '行政区划代码不在本省范围内' },
  NUMBER_PATTERN: { description: '证照编号不符合该证照类型的编号规则' },
  FIELD_MISMATCH: { description: '两个应当一致的字段不一致（如照面姓名与持证主体名称）' },
  UNKNOWN_FIELD: { description: '照面信息中出现目录未定义的字段' },
} as const satisfies Record<string, { description: string }>;

export type RuleCode = keyof typeof ruleCodes;
