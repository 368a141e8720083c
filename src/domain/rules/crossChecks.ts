/**
 * Checks between fields, one handler per CrossCheck type. The catalog says which checks a
 * kind has; a handler only reports a conflict between values that passed their own field
 * checks, so a bad date is reported once (DATE_INVALID), not again as a bad order.
 */

import type { CrossCheck } from '../catalog/types.ts';
import { validateCitizenId } from '../checkdigits.ts';
import { isRealDate } from '../dates.ts';
import { isPlainObject } from './fieldTypes.ts';
import type { ValidationIssue } from './types.ts';

export interface CrossCheckEnv {
  record: Record<string, unknown>;
  today: string;
  /** Chinese label of a record path. */
  label(path: string): string;
}

type Handler<T extends CrossCheck['type']> = (
  check: Extract<CrossCheck, { type: T }>,
  env: CrossCheckEnv,
) => ValidationIssue[];

export const CROSS_CHECK_HANDLERS: { [T in CrossCheck['type']]: Handler<T> } = {
  dateOrder(check, env) {
    const earlier = readPath(env.record, check.earlier);
    const later = readPath(env.record, check.later);
    if (!isRealDate(earlier) || !isRealDate(later)) return [];
    if (later > earlier || (check.allowEqual && later === earlier)) return [];
    const e = env.label(check.earlier);
    const l = env.label(check.later);
    if (check.reportOn === 'earlier') {
      const message = check.allowEqual ? `${e}不能晚于${l}` : `${e}必须早于${l}`;
      return [{ field: check.earlier, code: 'DATE_ORDER', message }];
    }
    const message = check.allowEqual ? `${l}不能早于${e}` : `${l}必须晚于${e}`;
    return [{ field: check.later, code: 'DATE_ORDER', message }];
  },

  birthDateMatchesHolderId(check, env) {
    const value = readPath(env.record, check.field);
    const id = citizenIdOfHolder(env);
    if (!id || !isRealDate(value) || value === id.birthDate) return [];
    return [
      {
        field: check.field,
        code: 'BIRTH_DATE_MISMATCH',
        message: `${env.label(check.field)}与持证主体公民身份号码中的出生日期不一致`,
      },
    ];
  },

  genderMatchesHolderId(check, env) {
    const value = readPath(env.record, check.field);
    const id = citizenIdOfHolder(env);
    // 0 未知 and 9 未说明 say nothing to contradict.
    if (!id || (value !== '1' && value !== '2') || value === id.gender) return [];
    return [
      {
        field: check.field,
        code: 'GENDER_MISMATCH',
        message: `${env.label(check.field)}与持证主体公民身份号码中的性别不一致`,
      },
    ];
  },

  fieldsEqual(check, env) {
    const a = readPath(env.record, check.field);
    const b = readPath(env.record, check.other);
    if (typeof a !== 'string' || typeof b !== 'string' || a.trim() === '' || b.trim() === '') return [];
    if (a.trim() === b.trim()) return [];
    return [
      {
        field: check.field,
        code: 'FIELD_MISMATCH',
        message: `${env.label(check.field)}应与${env.label(check.other)}一致`,
      },
    ];
  },
};

export function runCrossCheck(check: CrossCheck, env: CrossCheckEnv): ValidationIssue[] {
  // The mapped handler table guarantees each type has a handler of the matching shape.
  const handler = CROSS_CHECK_HANDLERS[check.type] as Handler<CrossCheck['type']> | undefined;
  return handler ? handler(check as never, env) : [];
}

function citizenIdOfHolder(env: CrossCheckEnv) {
  if (readPath(env.record, 'holder.idType') !== '111') return undefined;
  const result = validateCitizenId(readPath(env.record, 'holder.id'), { today: env.today });
  return result.ok ? result : undefined;
}

/** Reads a dotted path through own properties only; undefined when any step is missing. */
export function readPath(record: Record<string, unknown>, path: string): unknown {
  let current: unknown = record;
  for (const step of path.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, step)) return undefined;
    current = current[step];
  }
  return current;
}
