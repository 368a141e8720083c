import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { coverage } from '../../services/stats/coverage.ts';
import { problems } from '../problem.ts';

const Counts = {
  knownValid: Type.Integer({ description: '已知有效证照数（纸质存量 + 电子证照）' }),
  paperValid: Type.Integer({ description: '尚未电子化的有效纸质证照' }),
  electronicValid: Type.Integer({ description: '有效的规范电子证照' }),
  suspended: Type.Integer(),
  nonstandardBacklog: Type.Integer({ description: '待补正的不规范数据' }),
  electronicRate: Type.Union([Type.Number(), Type.Null()], { description: '电子证照 ÷ 已知有效证照' }),
};

const routes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { regionCode?: string; kind?: string } }>(
    '/coverage',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags: ['stats'],
        summary: '归集覆盖情况：按区划与证照类型统计有效证照、电子证照与不规范数据积压（R-5.2）',
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            regionCode: Type.Optional(Type.String({ pattern: '^\\d{6}$' })),
            kind: Type.Optional(Type.String({ pattern: '^[0-9A-Z]{21}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            rows: Type.Array(
              Type.Object({
                regionCode: Type.String(),
                regionName: Type.String(),
                kind: Type.String(),
                kindName: Type.String(),
                ...Counts,
              }),
            ),
            totals: Type.Object(Counts),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => coverage(app.services.context(request), request.staff!, request.query),
  );
};

export default routes;
