import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { getRegion } from './domain/regions.ts';
import { AppError } from './errors.ts';

/**
 * Every setting roadcert reads, with the environment variable it comes from. This table is
 * the only place that touches `process.env`; docs/operations.md lists the same variables.
 */
export const settings = {
  mode: { env: 'ROADCERT_MODE', doc: '运行模式：demo（默认，演示数据与演示密钥）或 production' },
  databaseUrl: { env: 'DATABASE_URL', doc: 'PostgreSQL 连接串；未设置时使用内嵌 PGlite（仅 demo）' },
  dataDir: { env: 'ROADCERT_DATA_DIR', doc: '内嵌数据库与演示材料目录，默认 ./data' },
  port: { env: 'PORT', doc: 'HTTP 端口，默认 3000' },
  host: { env: 'HOST', doc: '监听地址，默认 0.0.0.0' },
  publicUrl: {
    env: 'ROADCERT_PUBLIC_URL',
    doc: '对外访问地址，用于二维码与链接，默认 http://localhost:PORT',
  },
  kek: { env: 'ROADCERT_KEK', doc: '密钥加密密钥（SM4，32 位十六进制）；production 必填' },
  provinceCode: { env: 'ROADCERT_PROVINCE_CODE', doc: '省级行政区划代码（GB/T 2260），默认 210000 辽宁省' },
  authorityName: { env: 'ROADCERT_AUTHORITY_NAME', doc: '省级交通运输主管部门名称，默认 <省名>交通运输厅' },
  sealName: { env: 'ROADCERT_SEAL_NAME', doc: '电子印章名称，默认 <省名>道路运输电子证照专用章' },
  sessionIdleMinutes: { env: 'ROADCERT_SESSION_IDLE_MINUTES', doc: '会话空闲超时（分钟），默认 30' },
  sessionMaxHours: { env: 'ROADCERT_SESSION_MAX_HOURS', doc: '会话最长有效期（小时），默认 12' },
  loginMaxFailures: { env: 'ROADCERT_LOGIN_MAX_FAILURES', doc: '连续登录失败锁定阈值，默认 5' },
  loginLockMinutes: { env: 'ROADCERT_LOGIN_LOCK_MINUTES', doc: '登录锁定时长（分钟），默认 15' },
  rateLimitPerMinute: {
    env: 'ROADCERT_RATE_LIMIT',
    doc: '每个来源地址每分钟请求上限（0 为不限），默认 3000',
  },
  logLevel: { env: 'LOG_LEVEL', doc: '日志级别：fatal error warn info debug trace silent，默认 info' },
} as const;

const ConfigSchema = Type.Object({
  mode: Type.Union([Type.Literal('demo'), Type.Literal('production')]),
  databaseUrl: Type.Union([Type.String({ pattern: '^postgres(ql)?://' }), Type.Null()]),
  dataDir: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.String({ minLength: 1 }),
  publicUrl: Type.String({ pattern: '^https?://' }),
  kekHex: Type.Union([Type.String({ pattern: '^[0-9a-fA-F]{32}$' }), Type.Null()]),
  provinceCode: Type.String({ pattern: '^[1-9]\\d0000$' }),
  authorityName: Type.Union([Type.String({ minLength: 2, maxLength: 100 }), Type.Null()]),
  sealName: Type.Union([Type.String({ minLength: 2, maxLength: 100 }), Type.Null()]),
  sessionIdleMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  sessionMaxHours: Type.Integer({ minimum: 1, maximum: 168 }),
  loginMaxFailures: Type.Integer({ minimum: 1, maximum: 100 }),
  loginLockMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  rateLimitPerMinute: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
  ),
});
type RawConfig = Static<typeof ConfigSchema>;

export interface Config {
  mode: 'demo' | 'production';
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };
  dataDir: string;
  port: number;
  host: string;
  publicUrl: string;
  /** Key-encryption key; in demo mode without ROADCERT_KEK a generated one kept in the data dir. */
  kek: Buffer;
  kekSource: 'env' | 'demo-file';
  province: { code: string; name: string; authorityName: string; sealName: string };
  session: { idleMinutes: number; maxHours: number };
  login: { maxFailures: number; lockMinutes: number };
  /** Requests per source address per minute; 0 disables the limit (behind a gateway that limits). */
  rateLimitPerMinute: number;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

function intSetting(env: Env, key: keyof typeof settings, fallback: number): number {
  const raw = env[settings[key].env];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw configError(key, `必须是整数，实际为 “${raw}”`);
  }
  return Number(raw.trim());
}

function strSetting(env: Env, key: keyof typeof settings): string | null {
  const raw = env[settings[key].env];
  return raw === undefined || raw.trim() === '' ? null : raw.trim();
}

function configError(key: keyof typeof settings, problem: string): AppError {
  const name = settings[key].env;
  return new AppError('CONFIG_INVALID', `配置项 ${name} 无效：${problem}`, { details: { setting: name } });
}

/**
 * Reads and validates the configuration once, at boot. Fails closed: production needs its
 * own key-encryption key and a PostgreSQL server; nothing falls back to demo material there.
 */
export function loadConfig(env: Env = process.env, opts: { cwd?: string } = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  const port = intSetting(env, 'port', 3000);
  const raw: RawConfig = {
    mode: (strSetting(env, 'mode') ?? 'demo') as RawConfig['mode'],
    databaseUrl: strSetting(env, 'databaseUrl'),
    dataDir: path.resolve(cwd, strSetting(env, 'dataDir') ?? 'data'),
    port,
    host: strSetting(env, 'host') ?? '0.0.0.0',
    publicUrl: (strSetting(env, 'publicUrl') ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    kekHex: strSetting(env, 'kek'),
    provinceCode: strSetting(env, 'provinceCode') ?? '210000',
    authorityName: strSetting(env, 'authorityName'),
    sealName: strSetting(env, 'sealName'),
    sessionIdleMinutes: intSetting(env, 'sessionIdleMinutes', 30),
    sessionMaxHours: intSetting(env, 'sessionMaxHours', 12),
    loginMaxFailures: intSetting(env, 'loginMaxFailures', 5),
    loginLockMinutes: intSetting(env, 'loginLockMinutes', 15),
    rateLimitPerMinute: intSetting(env, 'rateLimitPerMinute', 3000),
    logLevel: (strSetting(env, 'logLevel') ?? 'info') as RawConfig['logLevel'],
  };

  const first = Value.Errors(ConfigSchema, raw)[0];
  if (first) {
    const key = first.instancePath.split('/')[1] as keyof RawConfig;
    const settingKey = (key === 'kekHex' ? 'kek' : key) as keyof typeof settings;
    throw configError(settingKey, describeSchemaError(settingKey, first.message));
  }

  const region = getRegion(raw.provinceCode);
  if (region?.level !== 'province') {
    throw configError('provinceCode', `${raw.provinceCode} 不是 GB/T 2260 中的省级行政区划代码`);
  }

  if (raw.mode === 'production') {
    if (!raw.databaseUrl)
      throw configError('databaseUrl', 'production 模式必须使用 PostgreSQL 数据库，不能使用内嵌演示库');
    if (!raw.kekHex)
      throw configError('kek', 'production 模式必须提供自有的密钥加密密钥，不会回退到演示密钥');
  }

  let kek: Buffer;
  let kekSource: Config['kekSource'];
  if (raw.kekHex) {
    kek = Buffer.from(raw.kekHex, 'hex');
    kekSource = 'env';
    if (kek.every((b) => b === kek[0])) throw configError('kek', '密钥加密密钥不能由重复字节构成');
  } else {
    kek = demoKek(raw.dataDir);
    kekSource = 'demo-file';
  }

  return {
    mode: raw.mode,
    database: raw.databaseUrl
      ? { kind: 'postgres', url: raw.databaseUrl }
      : { kind: 'pglite', dataDir: path.join(raw.dataDir, 'pglite') },
    dataDir: raw.dataDir,
    port: raw.port,
    host: raw.host,
    publicUrl: raw.publicUrl,
    kek,
    kekSource,
    province: {
      code: raw.provinceCode,
      name: region.name,
      authorityName: raw.authorityName ?? `${region.name}交通运输厅`,
      sealName: raw.sealName ?? `${region.name}道路运输电子证照专用章`,
    },
    session: { idleMinutes: raw.sessionIdleMinutes, maxHours: raw.sessionMaxHours },
    login: { maxFailures: raw.loginMaxFailures, lockMinutes: raw.loginLockMinutes },
    rateLimitPerMinute: raw.rateLimitPerMinute,
    logLevel: raw.logLevel,
  };
}

function describeSchemaError(key: keyof typeof settings, message: string): string {
  switch (key) {
    case 'mode':
      return '只能是 demo 或 production';
    case 'databaseUrl':
      return '必须是 postgres:// 或 postgresql:// 开头的连接串';
    case 'kek':
      return '必须是 32 位十六进制字符（16 字节 SM4 密钥）';
    case 'provinceCode':
      return '必须是 6 位省级行政区划代码，如 210000';
    case 'publicUrl':
      return '必须是 http:// 或 https:// 开头的地址';
    case 'logLevel':
      return '只能是 fatal、error、warn、info、debug、trace 或 silent';
    default:
      return `取值超出允许范围（${message}）`;
  }
}

/** Demo mode only: a generated key-encryption key kept beside the embedded database. */
function demoKek(dataDir: string): Buffer {
  const file = path.join(dataDir, 'demo-kek.hex');
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{32}$/i.test(hex)) {
      throw new AppError('CONFIG_INVALID', `演示密钥文件 ${file} 已损坏，请删除数据目录后重新启动`);
    }
    return Buffer.from(hex, 'hex');
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(16);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return key;
}
