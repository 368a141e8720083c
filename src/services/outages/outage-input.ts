import { isRealDate } from '../../domain/dates.ts';
import { AppError } from '../../errors.ts';

/*
 * Times in outage reports come from people (the department's own record of when pushing
 * stopped and resumed), so they are checked here as well as by the HTTP schema: the CLI and
 * other callers reach the services without it.
 */

/** An ISO 8601 instant with an explicit offset: a bare local time would be ambiguous. */
const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * Clocks of the caller and the server differ a little; a time a few seconds "ahead" is the
 * caller's "now", not a claim about the future.
 */
export const CLOCK_SKEW_MS = 60_000;

export function invalidField(field: string, code: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { details: { errors: [{ field, code, message }] } });
}

export function parseInstant(value: unknown, field: string, label: string): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  const m = typeof value === 'string' ? ISO_INSTANT.exec(value) : null;
  const instant = m && isRealDate(m[1]) ? new Date(value as string) : null;
  if (!instant || Number.isNaN(instant.getTime())) {
    throw invalidField(
      field,
      'FORMAT',
      `${label}（${field}）应为带时区的 ISO 8601 时间，如 2025-09-26T17:30:00+08:00`,
    );
  }
  return instant;
}

export function assertNotFuture(instant: Date, now: Date, field: string, label: string): void {
  if (instant.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw invalidField(field, 'IN_FUTURE', `${label}（${field}）不能晚于当前时间`);
  }
}

/** Trimmed text, refused when empty: a blank cause tells the evaluation nothing. */
export function requiredText(value: unknown, field: string, label: string, maxLength: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) throw invalidField(field, 'REQUIRED', `缺少必填字段 ${field}（${label}）`);
  if (text.length > maxLength) {
    throw invalidField(field, 'MAX_LENGTH', `字段 ${field}（${label}）过长，最多 ${maxLength} 个字符`);
  }
  return text;
}
