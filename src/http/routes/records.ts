import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { validateRecord } from '../../domain/rules/index.ts';
import { currentCatalog } from '../../services/catalog/catalog-versions.ts';
import { problems } from '../problem.ts';

const Issue = Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() });

const routes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { records: unknown[] } }>(
    '/validate',
    {
      preHandler: app.requireStaff('records.validate'),
      schema: {
        tags: ['records'],
        summary: '按目录规则校验证照数据（不规范数据检查，不写入任何数据）',
        description: '一次返回每条记录的全部问题：字段路径、稳定代码与中文说明。',
        security: [{ bearer: [] }],
        body: Type.Object(
          { records: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            catalogVersion: Type.Integer(),
            results: Type.Array(
              Type.Object({ index: Type.Integer(), valid: Type.Boolean(), errors: Type.Array(Issue) }),
            ),
          }),
          ...problems(400, 401, 403, 413),
        },
      },
    },
    async (request) => {
      const catalog = await currentCatalog(app.services.store.db);
      const provinceCode = app.services.config.province.code;
      return {
        catalogVersion: catalog.version,
        results: request.body.records.map((record, index) => {
          const errors = validateRecord(record, { catalog: catalog.content, provinceCode });
          return { index, valid: errors.length === 0, errors };
        }),
      };
    },
  );
};

export default routes;
