import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import {
  createCatalogVersion,
  currentCatalog,
  getCatalogVersion,
  listCatalogVersions,
} from '../../services/catalog/catalog-versions.ts';
import { problems } from '../problem.ts';

const VersionMeta = Type.Object({
  version: Type.Integer(),
  digest: Type.String({ description: '目录内容（RFC 8785 规范化 JSON）的 SM3 摘要' }),
  note: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.String(),
  locked: Type.Boolean({ description: '已被证照使用，不可再修改' }),
});
const VersionFull = Type.Intersect([VersionMeta, Type.Object({ content: Type.Unknown() })]);
const security = [{ bearer: [] }];

const routes: FastifyPluginAsync = async (app) => {
  app.get(
    '',
    {
      preHandler: app.requireStaff('catalog.read'),
      schema: {
        tags: ['catalog'],
        summary: '当前证照目录（九类证照、照面字段、代码表）',
        security,
        response: { 200: VersionFull, ...problems(401, 403) },
      },
    },
    async () => currentCatalog(app.services.store.db),
  );

  app.get(
    '/kinds',
    {
      preHandler: app.requireStaff('catalog.read'),
      schema: {
        tags: ['catalog'],
        summary: '证照类型一览',
        security,
        response: {
          200: Type.Object({
            version: Type.Integer(),
            kinds: Type.Array(
              Type.Object({
                code: Type.String(),
                name: Type.String(),
                family: Type.String(),
                standard: Type.String(),
                collectionStartDate: Type.String(),
                templateId: Type.String(),
                fieldCount: Type.Integer(),
              }),
            ),
          }),
          ...problems(401, 403),
        },
      },
    },
    async () => {
      const current = await currentCatalog(app.services.store.db);
      return {
        version: current.version,
        kinds: current.content.kinds.map((k) => ({
          code: k.code,
          name: k.name,
          family: k.family,
          standard: k.standard,
          collectionStartDate: k.collectionStartDate,
          templateId: k.templateId,
          fieldCount: k.fields.length,
        })),
      };
    },
  );

  app.get(
    '/versions',
    {
      preHandler: app.requireStaff('catalog.read'),
      schema: {
        tags: ['catalog'],
        summary: '目录版本历史',
        security,
        response: { 200: Type.Object({ items: Type.Array(VersionMeta) }), ...problems(401, 403) },
      },
    },
    async () => ({ items: await listCatalogVersions(app.services.store.db) }),
  );

  app.get<{ Params: { version: number } }>(
    '/versions/:version',
    {
      preHandler: app.requireStaff('catalog.read'),
      schema: {
        tags: ['catalog'],
        summary: '指定版本的目录',
        security,
        params: Type.Object({ version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }),
        response: { 200: VersionFull, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => getCatalogVersion(app.services.store.db, request.params.version),
  );

  app.post<{ Body: { content: unknown; note?: string } }>(
    '/versions',
    {
      preHandler: app.requireStaff('catalog.manage'),
      bodyLimit: 1024 * 1024,
      schema: {
        tags: ['catalog'],
        summary: '发布新的目录版本（已有版本不可修改）',
        security,
        body: Type.Object(
          {
            content: Type.Object({}, { additionalProperties: true }),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: VersionFull, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const created = await createCatalogVersion(app.services.context(request), request.staff!, request.body);
      return reply.status(201).send(created);
    },
  );
};

export default routes;
