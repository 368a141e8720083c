import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { roles } from '../../domain/roles.ts';
import { loginStaff } from '../../services/auth/login.ts';
import { logoutStaff } from '../../services/auth/session.ts';
import { getStaff } from '../../services/staff/query-staff.ts';
import { SESSION_COOKIE } from '../plugins/auth.ts';
import { problems } from '../problem.ts';
import { StaffSchema } from './staff.ts';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

const LoginResponse = Type.Object({
  token: Type.String({ description: '以 Authorization: Bearer <token> 使用' }),
  expiresAt: Type.String({ format: 'date-time' }),
  user: Type.Object({
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    role: Type.String(),
    regionCode: Type.String(),
  }),
});

const routes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { username: string; password: string } }>(
    '/login',
    {
      config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: '工作人员登录',
        body: LoginBody,
        response: { 200: LoginResponse, ...problems(400, 401, 403, 423, 429) },
      },
    },
    async (request, reply) => {
      const result = await loginStaff(app.services.context(request), request.body);
      reply.setCookie(SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: app.services.config.mode === 'production',
        path: '/',
        expires: result.expiresAt,
      });
      return { ...result, expiresAt: result.expiresAt.toISOString() };
    },
  );

  app.post(
    '/logout',
    {
      preHandler: app.requireStaff(),
      schema: {
        tags: ['auth'],
        summary: '退出登录',
        security: [{ bearer: [] }],
        response: { 204: Type.Null(), ...problems(401) },
      },
    },
    async (request, reply) => {
      await logoutStaff(app.services.context(request), request.staff!, request.sessionToken!);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );

  app.get(
    '/me',
    {
      preHandler: app.requireStaff(),
      schema: {
        tags: ['auth'],
        summary: '当前登录账户',
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({
            user: StaffSchema,
            permissions: Type.Array(Type.String()),
            roleName: Type.String(),
          }),
          ...problems(401),
        },
      },
    },
    async (request) => {
      const actor = request.staff!;
      // One's own account is always visible, whatever the role's staff permissions.
      const user = await getStaff(
        app.services.context(request),
        { ...actor, permissions: ['staff.read'] },
        actor.id,
      );
      return { user, permissions: [...actor.permissions], roleName: roles[actor.role].name };
    },
  );
};

export default routes;
