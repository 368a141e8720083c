import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.ts';
import { problems } from '../problem.ts';

const TrustSchema = Type.Object({
  province: Type.Object({ code: Type.String(), name: Type.String(), authority: Type.String() }),
  algorithm: Type.Literal('SM2-with-SM3'),
  signerId: Type.String({ description: 'SM2 签名者标识（GM/T 0009 默认值）' }),
  rootCertificate: Type.String({ description: '省级根证书（PEM）' }),
  sealCertificate: Type.String({ description: '电子证照专用章签章证书（PEM）' }),
  sealKeyId: Type.String(),
  sealName: Type.String(),
  notBefore: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
  retiredSealCertificates: Type.Array(
    Type.Object({ keyId: Type.String(), certificate: Type.String(), retiredAt: Type.String() }),
  ),
});

const routes: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs'));

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['system'],
        summary: '进程存活检查',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['system'],
        summary: '就绪检查（数据库可达、签章密钥已加载）',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), database: Type.String(), keys: Type.String() }),
          ...problems(503),
        },
      },
    },
    async () => {
      const { store, keyring } = app.services;
      try {
        await store.ping();
      } catch (e) {
        throw new AppError('NOT_READY', '数据库不可达', { cause: e });
      }
      return {
        status: 'ready' as const,
        database: store.engine,
        keys: keyring.trust() ? 'loaded' : 'missing',
      };
    },
  );

  app.get(
    '/api/v1/trust',
    {
      schema: {
        tags: ['system'],
        summary: '信任材料：省级根证书与签章证书（无需登录）',
        description: '离线核验电子证照所需的全部公开材料。',
        response: { 200: TrustSchema, ...problems(503) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return app.services.keyring.requireTrust();
    },
  );
};

export default routes;
