import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isAppError } from '../../errors.ts';
import { type Problem, problemFromAppError, problemOf } from '../problem.ts';
import { safeError } from '../safe-error.ts';

interface ValidationItem {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const where: Record<string, string> = {
  body: '请求体',
  querystring: '查询参数',
  params: '路径参数',
  headers: '请求头',
};

/** Turns Ajv's findings into field paths and Chinese messages that name the problem. */
function describeValidation(context: string | undefined, items: ValidationItem[]): Problem['errors'] {
  return items.map((v) => {
    const base = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    const missing = v.keyword === 'required' ? String(v.params?.missingProperty ?? '') : '';
    const extra = v.keyword === 'additionalProperties' ? String(v.params?.additionalProperty ?? '') : '';
    const field = [base, missing || extra].filter(Boolean).join('.') || (context ?? 'body');
    let message: string;
    switch (v.keyword) {
      case 'required':
        message = `缺少必填字段 ${field}`;
        break;
      case 'additionalProperties':
        message = `不允许的字段 ${field}`;
        break;
      case 'type':
        message = `字段 ${field} 类型错误，应为 ${String(v.params?.type)}`;
        break;
      case 'maxLength':
        message = `字段 ${field} 过长，最多 ${String(v.params?.limit)} 个字符`;
        break;
      case 'minLength':
        message = `字段 ${field} 过短，至少 ${String(v.params?.limit)} 个字符`;
        break;
      case 'enum':
      case 'const':
      case 'anyOf':
        message = `字段 ${field} 取值不在允许范围内`;
        break;
      case 'pattern':
      case 'format':
        message = `字段 ${field} 格式不正确`;
        break;
      case 'maximum':
      case 'minimum':
        message = `字段 ${field} 超出允许范围（${v.message ?? ''}）`;
        break;
      case 'maxItems':
        message = `字段 ${field} 元素过多，最多 ${String(v.params?.limit)} 个`;
        break;
      default:
        message = `字段 ${field} 不符合要求（${v.message ?? v.keyword ?? ''}）`;
    }
    return { field, code: (v.keyword ?? 'invalid').toUpperCase(), message };
  });
}

/**
 * One error mapping for the whole API: AppError → its catalogued status and code; framework
 * errors (bad JSON, too large, wrong content type, schema) → named 4xx problems; anything else
 * → a generic 500 whose internals go to the log only.
 */
export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let problem: Problem;
    if (isAppError(error)) {
      problem = problemFromAppError(error);
      if (problem.status >= 500) request.log.error({ err: safeError(error) }, 'service error');
    } else if (error.validation) {
      const errors = describeValidation(error.validationContext, error.validation as ValidationItem[]);
      const context = where[error.validationContext ?? ''] ?? '请求';
      problem = problemOf(
        'VALIDATION_FAILED',
        `${context}校验未通过：${errors?.map((e) => e.message).join('；')}`,
        {
          errors,
        },
      );
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      problem = problemOf('PAYLOAD_TOO_LARGE', '请求体超过允许的大小');
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      problem = problemOf(
        'UNSUPPORTED_MEDIA_TYPE',
        `不支持的内容类型：${request.headers['content-type'] ?? '未指定'}`,
      );
    } else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      problem = problemOf('BAD_REQUEST', '请求体为空，应为 JSON');
    } else if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      problem = problemOf('BAD_REQUEST', '请求体不是合法的 JSON');
    } else if (error.statusCode === 429) {
      problem = problemOf('RATE_LIMITED', '请求过于频繁，请稍后再试');
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: safeError(error) }, 'client error');
      problem = { ...problemOf('BAD_REQUEST', '请求无法处理'), status: error.statusCode };
    } else {
      request.log.error({ err: safeError(error) }, 'unhandled error');
      problem = problemOf('INTERNAL', '服务器内部错误，请稍后重试；如持续出现请联系管理员并提供请求编号');
    }
    problem.instance = request.url.split('?')[0];
    problem.requestId = request.id;
    reply
      .status(problem.status)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(JSON.stringify(problem));
  });

  app.setNotFoundHandler((request, reply) => {
    const problem = problemOf('NOT_FOUND', `接口不存在：${request.method} ${request.url.split('?')[0]}`, {
      instance: request.url.split('?')[0],
      requestId: request.id,
    });
    reply
      .status(404)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(JSON.stringify(problem));
  });
});
