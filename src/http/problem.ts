import { Type } from 'typebox';
import { type AppError, type ErrorCode, errorCatalog } from '../errors.ts';

/** RFC 9457 problem details, the body of every error response. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: '稳定的错误代码，供程序判断' }),
    detail: Type.String({ description: '面向人的中文说明' }),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({ field: Type.String(), code: Type.Optional(Type.String()), message: Type.String() }),
      ),
    ),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'Problem', title: 'Problem' },
);

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: { field: string; code?: string; message: string }[];
  details?: Record<string, unknown>;
}

export function problemOf(code: ErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  const entry = errorCatalog[code];
  return {
    type: `urn:roadcert:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: entry.title,
    status: entry.status,
    code,
    detail,
    ...extra,
  };
}

export function problemFromAppError(e: AppError): Problem {
  const extra: Partial<Problem> = {};
  const { errors, ...rest } = e.details ?? {};
  if (Array.isArray(errors)) extra.errors = errors as Problem['errors'];
  if (Object.keys(rest).length) extra.details = rest;
  return problemOf(e.code, e.message, extra);
}

/** Shorthand for route schemas: the problem responses a route can give. */
export function problems(...statuses: number[]): Record<number, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemSchema]));
}
