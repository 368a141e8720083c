import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import helmet from 'helmet';
import auth from './plugins/auth.ts';
import errors from './plugins/errors.ts';
import services, { type AppDeps } from './plugins/services.ts';
import web from './plugins/web.ts';
import { ProblemSchema } from './problem.ts';
import auditRoutes from './routes/audit.ts';
import authRoutes from './routes/auth.ts';
import calendarRoutes from './routes/calendar.ts';
import catalogRoutes from './routes/catalog.ts';
import certificateRoutes from './routes/certificates.ts';
import documentRoutes from './routes/documents.ts';
import intakeRoutes from './routes/intake.ts';
import nonstandardRoutes from './routes/nonstandard.ts';
import outageRoutes from './routes/outages.ts';
import recordRoutes from './routes/records.ts';
import regionRoutes from './routes/regions.ts';
import shareRoutes, { walletSharingRoutes } from './routes/sharing.ts';
import staffRoutes from './routes/staff.ts';
import statsRoutes from './routes/stats.ts';
import systemRoutes from './routes/system.ts';
import verificationRoutes from './routes/verification.ts';
import walletRoutes from './routes/wallet.ts';

export type { AppDeps };

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Fastify options that must be set on the instance (they cannot come from a plugin). */
export function serverOptions(
  deps: AppDeps,
  logger: FastifyServerOptions['logger'] = false,
): FastifyServerOptions {
  return {
    logger,
    bodyLimit: 2 * 1024 * 1024,
    trustProxy: deps.config.mode === 'production',
    requestIdHeader: false,
    // A caller's X-Request-Id is kept when it is sane, so a request can be followed across systems.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: {
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true },
    },
  };
}

/** The whole API as one plugin; server.ts and the tests register it the same way. */
export async function app(instance: FastifyInstance, deps: AppDeps): Promise<void> {
  instance.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // JSON bodies are validated as sent (no coercion: "x" is not a list, "5" not a number);
  // query strings, params and headers are text, so they are coerced to their schema types.
  const ajvOptions = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false } as const;
  const bodyAjv = addFormats.default(new Ajv.default({ ...ajvOptions, coerceTypes: false }));
  const textAjv = addFormats.default(new Ajv.default({ ...ajvOptions, coerceTypes: 'array' }));
  instance.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema),
  );
  await instance.register(errors);
  // Security headers from helmet's middleware, built once: @fastify/helmet rebuilt it on every
  // request, a measurable part of a small request's CPU (docs/benchmarks.md, verification).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: deps.config.mode === 'production',
  });
  instance.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (err) => done(err as Error | undefined));
  });
  await instance.register(cookie);
  if (deps.config.rateLimitPerMinute > 0) {
    await instance.register(rateLimit, {
      global: true,
      max: deps.config.rateLimitPerMinute,
      timeWindow: '1 minute',
    });
  }
  instance.addSchema(ProblemSchema);
  await instance.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'roadcert 道路运输电子证照运行服务平台 API',
        description: `${deps.config.province.name}道路运输电子证照运行服务平台接口。错误响应均为 application/problem+json。`,
        version: '1',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'POST /api/v1/auth/login 取得的令牌' },
        },
      },
      tags: [
        { name: 'system', description: '健康检查与信任材料' },
        { name: 'auth', description: '工作人员登录' },
        { name: 'staff', description: '工作人员账户' },
        { name: 'catalog', description: '证照目录' },
        { name: 'reference', description: '行政区划等参考数据' },
        { name: 'records', description: '证照数据规范性校验' },
        { name: 'intake', description: '运政系统数据归集（HMAC-SM3 签名）' },
        { name: 'certificates', description: '电子证照' },
        { name: 'stats', description: '统计' },
        { name: 'outages', description: '推送故障与重新推送期限（R-5.3）' },
        { name: 'calendar', description: '工作日历：年度节假日与调休安排（R-5.3 重新推送期限）' },
        { name: 'nonstandard', description: '不规范数据补正队列' },
        { name: 'audit', description: '审计日志' },
        { name: 'wallet', description: '运证通：持证主体验证码登录、消息与本人电子证照' },
        { name: 'verification', description: '亮证与查验、证照状态列表与激活率（R-6.5、R-7.6）' },
        {
          name: 'sharing',
          description: '授权用证：持证主体授权、用证码、依职能授权、用证方读取与使用记录（R-6.3）',
        },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
  });
  await instance.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
  instance.get('/openapi.json', { schema: { hide: true } }, async () => instance.swagger());
  await instance.register(services, deps);
  await instance.register(auth);

  await instance.register(systemRoutes);
  await instance.register(authRoutes, { prefix: '/api/v1/auth' });
  await instance.register(staffRoutes, { prefix: '/api/v1/staff' });
  await instance.register(catalogRoutes, { prefix: '/api/v1/catalog' });
  await instance.register(regionRoutes, { prefix: '/api/v1/regions' });
  await instance.register(recordRoutes, { prefix: '/api/v1/records' });
  await instance.register(intakeRoutes, { prefix: '/api/v1/intake' });
  await instance.register(certificateRoutes, { prefix: '/api/v1/certificates' });
  await instance.register(statsRoutes, { prefix: '/api/v1/stats' });
  await instance.register(outageRoutes, { prefix: '/api/v1/outages' });
  await instance.register(calendarRoutes, { prefix: '/api/v1/calendar' });
  await instance.register(nonstandardRoutes, { prefix: '/api/v1/nonstandard' });
  await instance.register(auditRoutes, { prefix: '/api/v1/audit' });
  await instance.register(walletRoutes, { prefix: '/api/v1/wallet' });
  await instance.register(walletSharingRoutes, { prefix: '/api/v1/wallet' });
  await instance.register(shareRoutes, { prefix: '/api/v1/share' });
  await instance.register(verificationRoutes, { prefix: '/api/v1' });
  await instance.register(web, { dist: deps.webDist });
  await instance.register(documentRoutes, { prefix: '/api/v1/documents' });
}

/** Builds a ready server instance (not listening) with the app registered. */
export async function buildServer(deps: AppDeps, logger: FastifyServerOptions['logger'] = false) {
  const instance = Fastify(serverOptions(deps, logger));
  await instance.register(app, deps);
  await instance.ready();
  return instance;
}
