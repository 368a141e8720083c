import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Permission } from '../../domain/roles.ts';
import { AppError } from '../../errors.ts';
import { authenticateStaff, type StaffActor } from '../../services/auth/session.ts';
import { requirePermission } from '../../services/scope.ts';

export const SESSION_COOKIE = 'roadcert_session';

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffActor | null;
    sessionToken: string | null;
  }
  interface FastifyInstance {
    /** preHandler: a signed-in staff member, optionally holding a permission. */
    requireStaff(permission?: Permission): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header) {
    const m = /^Bearer\s+([A-Za-z0-9_-]{20,200})$/.exec(header.trim());
    if (!m) throw new AppError('UNAUTHENTICATED', 'Authorization 请求头格式应为 “Bearer <token>”');
    return m[1]!;
  }
  const cookie = request.cookies?.[SESSION_COOKIE];
  return cookie && /^[A-Za-z0-9_-]{20,200}$/.test(cookie) ? cookie : null;
}

export default fp(
  async function auth(app: FastifyInstance) {
    app.decorateRequest('staff', null);
    app.decorateRequest('sessionToken', null);
    app.decorate('requireStaff', (permission?: Permission) => async (request: FastifyRequest) => {
      const token = bearerToken(request);
      if (!token) throw new AppError('UNAUTHENTICATED', '请先登录（缺少 Authorization: Bearer 令牌）');
      const actor = await authenticateStaff(app.services.context(request), token);
      if (permission) requirePermission(actor, permission);
      request.staff = actor;
      request.sessionToken = token;
    });
  },
  { name: 'auth', dependencies: ['services'] },
);
