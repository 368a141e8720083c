import { sqlState } from '../store/errors.ts';

/**
 * What of an unexpected error may be logged. Database errors carry the statement's parameters
 * (names, ID numbers) in their message and properties; only the SQL text, the SQLSTATE and the
 * stack survive here, so personal data never reaches the log.
 */
export function safeError(error: unknown): { type: string; message: string; code?: string; stack?: string } {
  const e = error as Error & { query?: unknown };
  const state = sqlState(error);
  let message = e instanceof Error ? e.message : String(error);
  if (typeof e?.query === 'string' || /\nparams:/.test(message)) {
    message = message.split('\nparams:')[0]!;
  }
  const cause = (e as { cause?: { message?: string } })?.cause?.message;
  if (state && cause) message = `${message} — ${cause.replace(/\(([^)]*)\)=\([^)]*\)/g, '($1)=(…)')}`;
  return {
    type: e?.constructor?.name ?? 'Error',
    message,
    ...(state ? { code: state } : {}),
    ...(e instanceof Error && e.stack ? { stack: e.stack.split('\n').slice(1, 8).join('\n') } : {}),
  };
}
