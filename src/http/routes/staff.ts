import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { roleIds } from '../../domain/roles.ts';
import { createStaff } from '../../services/staff/create-staff.ts';
import { getStaff, listStaff } from '../../services/staff/query-staff.ts';
import { resetStaffPassword, unlockStaff, updateStaff } from '../../services/staff/update-staff.ts';
import { problems } from '../problem.ts';

export const StaffSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    displayName: Type.String(),
    role: Type.String(),
    roleName: Type.String(),
    regionCode: Type.String(),
    regionName: Type.String(),
    department: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()], { description: '脱敏后的手机号' }),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    locked: Type.Boolean(),
    lastLoginAt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
  },
  { $id: 'Staff', title: 'Staff' },
);

const RegionCode = Type.String({ pattern: '^\\d{6}$', description: 'GB/T 2260 行政区划代码' });
const Phone = Type.String({ pattern: '^1[3-9]\\d{9}$' });
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const RoleEnum = Type.Union(roleIds.map((r) => Type.Literal(r)));

const CreateBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 32 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
    role: RoleEnum,
    regionCode: RegionCode,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    department: Type.Optional(Type.String({ maxLength: 100 })),
    phone: Type.Optional(Phone),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    department: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    role: Type.Optional(RoleEnum),
  },
  { additionalProperties: false, minProperties: 1 },
);

const ListQuery = Type.Object(
  {
    regionCode: Type.Optional(RegionCode),
    role: Type.Optional(RoleEnum),
    q: Type.Optional(Type.String({ maxLength: 50 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);

const security = [{ bearer: [] }];

const routes: FastifyPluginAsync = async (app) => {
  app.addSchema(StaffSchema);

  app.get<{
    Querystring: { regionCode?: string; role?: string; q?: string; limit?: number; offset?: number };
  }>(
    '',
    {
      preHandler: app.requireStaff('staff.read'),
      schema: {
        tags: ['staff'],
        summary: '本辖区工作人员列表',
        security,
        querystring: ListQuery,
        response: {
          200: Type.Object({ items: Type.Array(StaffSchema), total: Type.Integer() }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => listStaff(app.services.context(request), request.staff!, request.query),
  );

  app.post<{ Body: Parameters<typeof createStaff>[2] }>(
    '',
    {
      preHandler: app.requireStaff('staff.manage'),
      schema: {
        tags: ['staff'],
        summary: '创建工作人员账户',
        security,
        body: CreateBody,
        response: { 201: StaffSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const staff = await createStaff(app.services.context(request), request.staff!, request.body);
      return reply.status(201).send(staff);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/:id',
    {
      preHandler: app.requireStaff('staff.read'),
      schema: {
        tags: ['staff'],
        summary: '工作人员账户详情',
        security,
        params: IdParams,
        response: { 200: StaffSchema, ...problems(401, 403, 404) },
      },
    },
    async (request) => getStaff(app.services.context(request), request.staff!, request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: Parameters<typeof updateStaff>[3] }>(
    '/:id',
    {
      preHandler: app.requireStaff('staff.manage'),
      schema: {
        tags: ['staff'],
        summary: '修改工作人员账户（停用、角色、联系方式）',
        security,
        params: IdParams,
        body: UpdateBody,
        response: { 200: StaffSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      updateStaff(app.services.context(request), request.staff!, request.params.id, request.body),
  );

  app.post<{ Params: { id: string } }>(
    '/:id/unlock',
    {
      preHandler: app.requireStaff('staff.manage'),
      schema: {
        tags: ['staff'],
        summary: '解除登录锁定',
        security,
        params: IdParams,
        response: { 200: StaffSchema, ...problems(401, 403, 404) },
      },
    },
    async (request) => unlockStaff(app.services.context(request), request.staff!, request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { password: string } }>(
    '/:id/password',
    {
      preHandler: app.requireStaff('staff.manage'),
      schema: {
        tags: ['staff'],
        summary: '重置密码（结束该账户全部会话）',
        security,
        params: IdParams,
        body: Type.Object(
          { password: Type.String({ minLength: 1, maxLength: 128 }) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await resetStaffPassword(
        app.services.context(request),
        request.staff!,
        request.params.id,
        request.body.password,
      );
      return reply.status(204).send();
    },
  );
};

export default routes;
