import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.ts';
import { getHolderCertificateDocument } from '../../services/documents/get-certificate-document.ts';
import { createShowToken } from '../../services/verification/create-show-token.ts';
import { getHolderCertificate } from '../../services/wallet/get-holder-certificate.ts';
import { getHolderProfile } from '../../services/wallet/get-holder-profile.ts';
import {
  authenticateHolder,
  type HolderPrincipal,
  logoutHolder,
} from '../../services/wallet/holder-session.ts';
import { listHolderCertificates } from '../../services/wallet/list-holder-certificates.ts';
import { listInbox } from '../../services/wallet/list-inbox.ts';
import { loginHolder } from '../../services/wallet/login-holder.ts';
import { markDeliveryRead } from '../../services/wallet/mark-delivery-read.ts';
import { requestOtp } from '../../services/wallet/request-otp.ts';
import type { SmsSender } from '../../services/wallet/sms-sender.ts';
import { problems } from '../problem.ts';
import {
  CertificateDetail,
  CertificateStatus,
  CertificateSummary,
  IdentifierParams,
} from '../schemas/certificate.ts';
import { DocumentBody, DocumentQuery, sendDocument } from '../schemas/document.ts';

declare module '../plugins/services.ts' {
  interface AppDeps {
    /** SMS gateway for wallet sign-in codes; none is bundled (production refuses codes without one). */
    smsSender?: SmsSender;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    holder: HolderPrincipal | null;
    holderToken: string | null;
  }
}

const Credentials = {
  idType: Type.String({
    pattern: '^[0-9]{3}$',
    description: '持证主体代码类型：111 居民身份证，001 统一社会信用代码…',
  }),
  id: Type.String({ minLength: 1, maxLength: 50, description: '证件号码或统一社会信用代码' }),
  phone: Type.String({ pattern: '^1[3-9][0-9]{9}$', description: '登记的手机号码' }),
};
const OtpBody = Type.Object(Credentials, { additionalProperties: false });
const LoginBody = Type.Object(
  { ...Credentials, code: Type.String({ pattern: '^[0-9]{6}$', description: '6 位短信验证码' }) },
  { additionalProperties: false },
);
type OtpInput = { idType: string; id: string; phone: string };

const OtpResponse = Type.Object({
  message: Type.String(),
  expiresInSeconds: Type.Integer(),
  resendAfterSeconds: Type.Integer(),
  demoCode: Type.Optional(
    Type.String({ description: '仅演示模式：验证码本身（生产模式经短信发送，从不返回）' }),
  ),
});
const LoginResponse = Type.Object({
  token: Type.String({ description: '以 Authorization: Bearer <token> 使用；与工作人员令牌互不通用' }),
  expiresAt: Type.String({ format: 'date-time', description: '最长有效期（空闲 30 分钟亦失效）' }),
});
const Profile = Type.Object({
  holderType: Type.Union([Type.Literal('person'), Type.Literal('organisation')]),
  idType: Type.String(),
  id: Type.String({ description: '脱敏的证件号码' }),
  name: Type.String({ description: '自然人姓名脱敏，组织名称不脱敏' }),
  phone: Type.Union([Type.String(), Type.Null()]),
});
const Message = Type.Object({
  id: Type.String(),
  identifier: Type.String(),
  kind: Type.String({ description: '引起消息的业务事件：issue、review、change、revoke…' }),
  title: Type.String(),
  regionCode: Type.String(),
  createdAt: Type.String(),
  read: Type.Boolean(),
  readAt: Type.Union([Type.String(), Type.Null()]),
});
const StatusBadge = {
  status: CertificateStatus,
  statusCode: Type.String({ description: '证照状态代码：10 有效，01 已换发，02 已过期，03 已注销，09 暂停' }),
  statusName: Type.String({ description: '状态标识，如“有效”“已注销”' }),
};
const HolderCertificateDetail = Type.Intersect([
  CertificateDetail,
  Type.Object({
    versions: Type.Array(
      Type.Object({
        identifier: Type.String(),
        version: Type.Integer(),
        ...StatusBadge,
        event: Type.String(),
        issueDate: Type.String(),
        signedAt: Type.String(),
      }),
    ),
  }),
]);
const security = [{ bearer: [] }];

const BEARER = /^Bearer\s+([A-Za-z0-9_-]{20,200})$/;

/** The holder's pre-handler: a wallet session, never a staff one (no cookie fallback, no permissions). */
export function requireHolder(app: Parameters<FastifyPluginAsync>[0]) {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const m = header ? BEARER.exec(header.trim()) : null;
    if (!m) throw new AppError('UNAUTHENTICATED', '请先用手机验证码登录（缺少 Authorization: Bearer 令牌）');
    request.holder = await authenticateHolder(app.services.context(request), m[1]!);
    request.holderToken = m[1]!;
  };
}

/** 运证通 (the holder's wallet): code sign-in, the holder's identity, inbox and own certificates. */
const routes: FastifyPluginAsync = async (app) => {
  app.decorateRequest('holder', null);
  app.decorateRequest('holderToken', null);
  const holderOnly = requireHolder(app);

  app.post<{ Body: OtpInput }>(
    '/otp',
    {
      config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags: ['wallet'],
        summary: '获取登录验证码（证件号码与手机号码匹配时发送；响应不透露是否匹配）',
        body: OtpBody,
        response: { 200: OtpResponse, ...problems(400, 429, 503) },
      },
    },
    async (request) => {
      const result = await requestOtp(
        app.services.context(request),
        { smsSender: app.services.smsSender },
        request.body,
      );
      // Demo only: production codes go to the SMS gateway and never reach a log.
      if (result.demoCode) request.log.info({ demoCode: result.demoCode }, 'wallet sign-in code (demo mode)');
      return result;
    },
  );

  app.post<{ Body: OtpInput & { code: string } }>(
    '/login',
    {
      config: { rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: {
        tags: ['wallet'],
        summary: '持证主体验证码登录',
        body: LoginBody,
        response: { 200: LoginResponse, ...problems(400, 401, 423, 429) },
      },
    },
    async (request) => {
      const result = await loginHolder(app.services.context(request), request.body);
      return { token: result.token, expiresAt: result.expiresAt.toISOString() };
    },
  );

  app.post(
    '/logout',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '退出运证通',
        security,
        response: { 204: Type.Null(), ...problems(401) },
      },
    },
    async (request, reply) => {
      await logoutHolder(app.services.context(request), request.holder!, request.holderToken!);
      return reply.status(204).send();
    },
  );

  app.get(
    '/me',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '当前持证主体（脱敏）',
        security,
        response: { 200: Profile, ...problems(401) },
      },
    },
    async (request) => getHolderProfile(app.services.context(request), request.holder!),
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/inbox',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '消息（证照签发、年审、变更、注销等通知），最新在前',
        security,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(Message), unread: Type.Integer() }),
          ...problems(400, 401),
        },
      },
    },
    async (request) => listInbox(app.services.context(request), request.holder!, request.query),
  );

  app.post<{ Params: { id: string } }>(
    '/inbox/:id/read',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '将消息标为已读',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          200: Type.Object({ id: Type.String(), readAt: Type.String() }),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request) => markDeliveryRead(app.services.context(request), request.holder!, request.params.id),
  );

  app.get(
    '/certificates',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '本人的电子证照（每证当前版本，带状态标识）',
        security,
        response: { 200: Type.Object({ items: Type.Array(CertificateSummary) }), ...problems(401) },
      },
    },
    async (request) => listHolderCertificates(app.services.context(request), request.holder!),
  );

  app.get<{ Params: { identifier: string } }>(
    '/certificates/:identifier',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '本人的一张电子证照：照面信息、签章与历史版本',
        security,
        params: IdentifierParams,
        response: { 200: HolderCertificateDetail, ...problems(400, 401, 404) },
      },
    },
    async (request) =>
      getHolderCertificate(
        app.services.context(request),
        app.services.keyring,
        request.holder!,
        request.params.identifier,
      ),
  );

  app.get<{ Params: { identifier: string }; Querystring: { format?: 'ofd' | 'pdf' } }>(
    '/certificates/:identifier/document',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '下载本人电子证照的签章文档（OFD 或 PDF），记为一次“下载”使用',
        security,
        params: IdentifierParams,
        querystring: DocumentQuery,
        response: { 200: DocumentBody, ...problems(400, 401, 404, 503) },
      },
    },
    async (request, reply) =>
      sendDocument(
        request,
        reply,
        await getHolderCertificateDocument(
          app.services.context(request),
          { keyring: app.services.keyring },
          request.holder!,
          request.params.identifier,
          request.query.format ?? 'ofd',
        ),
      ),
  );

  app.post<{ Params: { identifier: string } }>(
    '/certificates/:identifier/show',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['wallet'],
        summary: '亮证：生成本人电子证照的亮证码（60 秒内有效，仅可查验一次）',
        security,
        params: IdentifierParams,
        response: {
          200: Type.Object({
            token: Type.String({ description: '亮证码内容（base64url），以二维码展示' }),
            expiresAt: Type.String({ format: 'date-time' }),
            refreshAfterSeconds: Type.Integer({ description: '建议刷新间隔（秒）' }),
          }),
          ...problems(400, 401, 404, 503),
        },
      },
    },
    async (request) =>
      createShowToken(
        app.services.context(request),
        app.services.keyring,
        request.holder!,
        request.params.identifier,
      ),
  );
};

export default routes;
