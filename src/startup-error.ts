import { isAppError } from './errors.ts';

/** One clear sentence for a failure before the server or a command could run. */
export function describeStartupError(e: unknown): string {
  if (isAppError(e)) return e.message;
  const err = e as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  const code = err?.code ?? err?.errors?.[0]?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    return `无法连接数据库（DATABASE_URL）：${code}。请确认 PostgreSQL 已启动且地址正确。`;
  }
  if (code === '3D000') return `数据库不存在（DATABASE_URL）：${err.message}`;
  if (code === '28P01' || code === '28000') return `数据库认证失败（DATABASE_URL）：${err.message}`;
  if (code === 'EADDRINUSE') return `端口已被占用（PORT）：${err.message}`;
  return err instanceof Error ? err.message : String(e);
}
