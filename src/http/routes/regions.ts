import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { getRegion, listRegions } from '../../domain/regions.ts';
import { AppError } from '../../errors.ts';
import { problems } from '../problem.ts';

const Region = Type.Object({
  code: Type.String(),
  name: Type.String(),
  fullName: Type.String(),
  level: Type.String(),
  parentCode: Type.Union([Type.String(), Type.Null()]),
});

const routes: FastifyPluginAsync = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags: ['reference'],
        summary: '本省行政区划（GB/T 2260：省、市、县）',
        response: { 200: Type.Object({ provinceCode: Type.String(), items: Type.Array(Region) }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      const provinceCode = app.services.config.province.code;
      return { provinceCode, items: listRegions(provinceCode) };
    },
  );

  app.get<{ Params: { code: string } }>(
    '/:code',
    {
      schema: {
        tags: ['reference'],
        summary: '单个行政区划',
        params: Type.Object({ code: Type.String({ pattern: '^\\d{6}$' }) }),
        response: { 200: Region, ...problems(400, 404) },
      },
    },
    async (request) => {
      const region = getRegion(request.params.code);
      if (!region) throw new AppError('NOT_FOUND', `行政区划代码 ${request.params.code} 不存在`);
      return region;
    },
  );
};

export default routes;
