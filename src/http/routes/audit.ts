import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { type AuditQuery, listAudit, verifyAudit } from '../../services/audit/query-audit.ts';
import { problems } from '../problem.ts';

const AuditRecord = Type.Object({
  id: Type.Integer(),
  chain: Type.String(),
  seq: Type.Integer(),
  at: Type.String(),
  actorType: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  actorRole: Type.Union([Type.String(), Type.Null()]),
  actorRegion: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  actionName: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  regionCode: Type.String(),
  requestId: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  details: Type.Unknown(),
  hash: Type.String(),
});

const Query = Type.Object(
  {
    regionCode: Type.Optional(Type.String({ pattern: '^\\d{6}$' })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    targetType: Type.Optional(Type.String({ maxLength: 64 })),
    targetId: Type.Optional(Type.String({ maxLength: 128 })),
    actorId: Type.Optional(Type.String({ maxLength: 128 })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

const Verification = Type.Object({
  ok: Type.Boolean(),
  records: Type.Integer(),
  chains: Type.Array(
    Type.Object({
      chain: Type.String(),
      records: Type.Integer(),
      headSeq: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
  problems: Type.Array(
    Type.Object({
      chain: Type.String(),
      seq: Type.Union([Type.Integer(), Type.Null()]),
      kind: Type.String(),
      message: Type.String(),
    }),
  ),
});

const routes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: AuditQuery }>(
    '',
    {
      preHandler: app.requireStaff('audit.read'),
      schema: {
        tags: ['audit'],
        summary: '本辖区审计日志（新到旧，按 before 翻页）',
        security: [{ bearer: [] }],
        querystring: Query,
        response: {
          200: Type.Object({
            items: Type.Array(AuditRecord),
            nextBefore: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => listAudit(app.services.context(request), request.staff!, request.query),
  );

  app.post(
    '/verify',
    {
      preHandler: app.requireStaff('audit.verify'),
      schema: {
        tags: ['audit'],
        summary: '校验审计日志哈希链（SM3）',
        security: [{ bearer: [] }],
        response: { 200: Verification, ...problems(401, 403) },
      },
    },
    async (request) => verifyAudit(app.services.context(request), request.staff!),
  );
};

export default routes;
