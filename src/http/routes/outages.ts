import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { clearOutage } from '../../services/outages/clear-outage.ts';
import { completeOutage } from '../../services/outages/complete-outage.ts';
import { outageStatuses } from '../../services/outages/outage-status.ts';
import { getOutage, type ListOutagesQuery, listOutages } from '../../services/outages/query-outages.ts';
import { type ReportOutageInput, reportOutage } from '../../services/outages/report-outage.ts';
import { problems } from '../problem.ts';

const Instant = Type.String({
  format: 'date-time',
  description: 'ISO 8601 时间，须带时区，如 2025-09-26T17:30:00+08:00',
});
const NullableString = (opts: { format?: string; description?: string } = {}) =>
  Type.Union([Type.String(opts), Type.Null()]);
const StatusEnum = Type.Union(outageStatuses.map((s) => Type.Literal(s)));

export const OutageSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    regionCode: Type.String(),
    regionName: Type.String(),
    department: NullableString(),
    cause: Type.String(),
    status: StatusEnum,
    statusName: Type.String(),
    startedAt: Type.String({ format: 'date-time' }),
    clearedAt: NullableString({ format: 'date-time' }),
    deadline: NullableString({
      format: 'date-time',
      description: '重新推送截止时间：排除故障次日起第 2 个工作日 24 时（北京时间）',
    }),
    deadlineDate: NullableString({ description: '截止日期（北京时间，YYYY-MM-DD）' }),
    workingDaysLeft: Type.Union([Type.Integer(), Type.Null()], {
      description: '剩余工作日（含当日）；未排除或已完成时为 null，逾期为 0',
    }),
    overdue: Type.Boolean({ description: '是否逾期（逾期后完成的仍为 true）' }),
    completedAt: NullableString({ format: 'date-time' }),
    completedLate: Type.Boolean(),
    repushedRecords: Type.Integer({ description: '故障排除后重新推送的故障期间数据条数' }),
    reportedBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Outage', title: 'Outage' },
);

const OverdueDepartment = Type.Object({
  regionCode: Type.String(),
  regionName: Type.String(),
  department: NullableString(),
  overdueOutages: Type.Integer(),
  notCompleted: Type.Integer(),
});

const RegionCode = Type.String({ pattern: '^\\d{6}$', description: 'GB/T 2260 行政区划代码' });
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const ReportBody = Type.Object(
  {
    regionCode: RegionCode,
    cause: Type.String({ minLength: 1, maxLength: 500, description: '故障原因' }),
    startedAt: Instant,
    department: Type.Optional(
      Type.String({ maxLength: 100, description: '无法推送的部门，默认为报告人所属部门' }),
    ),
  },
  { additionalProperties: false },
);

const ClearBody = Type.Object({ clearedAt: Instant }, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    status: Type.Optional(StatusEnum),
    regionCode: Type.Optional(RegionCode),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);

const security = [{ bearer: [] }];
const tags = ['outages'];

/** outages of pushing to the platform, their re-push deadline and its tracking. */
const routes: FastifyPluginAsync = async (app) => {
  app.addSchema(OutageSchema);

  app.get<{ Querystring: ListOutagesQuery }>(
    '',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags,
        summary: '本辖区推送故障列表（含逾期部门）',
        security,
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(OutageSchema),
            total: Type.Integer(),
            overdueDepartments: Type.Array(OverdueDepartment),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => listOutages(app.services.context(request), request.staff!, request.query),
  );

  app.post<{ Body: ReportOutageInput & { startedAt: string } }>(
    '',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags,
        summary: '报告推送故障',
        security,
        body: ReportBody,
        response: { 201: OutageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const outage = await reportOutage(app.services.context(request), request.staff!, request.body);
      return reply.status(201).send(outage);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/:id',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags,
        summary: '推送故障详情',
        security,
        params: IdParams,
        response: { 200: OutageSchema, ...problems(401, 403, 404) },
      },
    },
    async (request) => getOutage(app.services.context(request), request.staff!, request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { clearedAt: string } }>(
    '/:id/clear',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags,
        summary: '报告故障排除（计算重新推送截止时间）',
        security,
        params: IdParams,
        body: ClearBody,
        response: { 200: OutageSchema, ...problems(400, 401, 403, 404, 409, 500) },
      },
    },
    async (request) =>
      clearOutage(app.services.context(request), request.staff!, request.params.id, request.body),
  );

  app.post<{ Params: { id: string } }>(
    '/:id/complete',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags,
        summary: '确认故障期间数据已重新推送完成',
        security,
        params: IdParams,
        response: { 200: OutageSchema, ...problems(401, 403, 404, 409) },
      },
    },
    async (request) => completeOutage(app.services.context(request), request.staff!, request.params.id),
  );
};

export default routes;
