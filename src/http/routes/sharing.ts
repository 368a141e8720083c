import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.ts';
import { createDutyGrant } from '../../services/sharing/create-duty-grant.ts';
import { createGrant } from '../../services/sharing/create-grant.ts';
import { createShareCode } from '../../services/sharing/create-share-code.ts';
import { listDutyGrants, listHolderGrants } from '../../services/sharing/list-grants.ts';
import { listRelyingParties } from '../../services/sharing/list-relying-parties.ts';
import { readSharedCertificate } from '../../services/sharing/read-shared-certificate.ts';
import { holderShareableFields } from '../../services/sharing/shareable-fields.ts';
import { withdrawDutyGrant, withdrawHolderGrant } from '../../services/sharing/withdraw-grant.ts';
import { listUsage } from '../../services/wallet/list-usage.ts';
import { problems } from '../problem.ts';
import { CertificateStatus, IdentifierParams } from '../schemas/certificate.ts';
import { requireHolder } from './wallet.ts';

/*
 * 授权用证 (R-6.3). Two plugins: the holder's side under /api/v1/wallet (consent grants,
 * 用证码, the usage log) and /api/v1/share (relying parties' signed reads; staff duty grants).
 * See docs/sharing.md.
 */

const security = [{ bearer: [] }];
const GrantIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const FieldKey = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9]*$' });
const Field = Type.Object({ key: Type.String(), label: Type.String() });
const Kind = Type.Object({ code: Type.String(), name: Type.String() });
const RelyingParty = Type.Object({
  id: Type.String(),
  name: Type.String(),
  regionCode: Type.String(),
  regionName: Type.String(),
});
const GrantState = Type.Union([Type.Literal('active'), Type.Literal('withdrawn'), Type.Literal('expired')]);

/** A grant as the holder and staff see it (shape shared by consent and duty grants). */
export const Grant = Type.Object({
  id: Type.String({ format: 'uuid', description: '授权编号；用证方读取时放在 X-Grant-Id 请求头' }),
  basis: Type.Union([Type.Literal('consent'), Type.Literal('duty')], {
    description: 'consent 持证主体授权；duty 依职能授权（签发/管理部门）',
  }),
  relyingParty: Type.Object({ id: Type.String(), name: Type.String() }),
  certificates: Type.Array(
    Type.Object({ identifier: Type.String(), kind: Kind, certificateNumber: Type.String() }),
    { description: '持证主体授权所含证照（依职能授权为空，范围见 regionCode 与 kinds）' },
  ),
  regionCode: Type.String(),
  regionName: Type.String(),
  kinds: Type.Array(Kind, { description: '依职能授权覆盖的证照类型' }),
  fields: Type.Array(Field),
  purpose: Type.String(),
  legalBasis: Type.Union([Type.String(), Type.Null()], { description: '法律依据（依职能授权）' }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  withdrawnAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  state: GrantState,
});

const Purpose = Type.String({ minLength: 2, maxLength: 200, description: '用途，如“办理货运业务资格核验”' });
const ExpiresAt = Type.String({ format: 'date-time', description: '到期时间，不晚于一年后' });

const GrantBody = Type.Object(
  {
    clientId: Type.String({ minLength: 1, maxLength: 64, description: '用证方（已登记的接入系统）' }),
    identifiers: Type.Array(Type.String({ minLength: 20, maxLength: 160 }), {
      minItems: 1,
      maxItems: 20,
      description: '本人电子证照标识',
    }),
    fields: Type.Array(FieldKey, { minItems: 1, maxItems: 60, description: '授权读取的照面项（键名）' }),
    purpose: Purpose,
    expiresAt: ExpiresAt,
  },
  { additionalProperties: false },
);
export type GrantInput = {
  clientId: string;
  identifiers: string[];
  fields: string[];
  purpose: string;
  expiresAt: string;
};

const DutyGrantBody = Type.Object(
  {
    clientId: Type.String({ minLength: 1, maxLength: 64 }),
    regionCode: Type.String({ pattern: '^\\d{6}$', description: '授权覆盖的行政区划（须在本账户辖区内）' }),
    kinds: Type.Array(Type.String({ pattern: '^[0-9A-Z]{21}$' }), { minItems: 1, maxItems: 9 }),
    fields: Type.Array(FieldKey, { minItems: 1, maxItems: 60 }),
    purpose: Purpose,
    legalBasis: Type.String({
      minLength: 4,
      maxLength: 500,
      description: '法律依据，如“《道路运输条例》第六十一条”',
    }),
    expiresAt: ExpiresAt,
  },
  { additionalProperties: false },
);
export type DutyGrantInput = {
  clientId: string;
  regionCode: string;
  kinds: string[];
  fields: string[];
  purpose: string;
  legalBasis: string;
  expiresAt: string;
};

const ShareCodeBody = Type.Object(
  {
    fields: Type.Optional(
      Type.Array(FieldKey, { minItems: 1, maxItems: 60, description: '缺省为该证全部照面项' }),
    ),
    purpose: Type.Optional(Purpose),
    ttlMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 30, default: 10 })),
  },
  { additionalProperties: false },
);
const ShareCode = Type.Object({
  code: Type.String({ description: '10 位用证码（仅显示这一次），用证方放在 X-Share-Code 请求头' }),
  identifier: Type.String(),
  fields: Type.Array(Field),
  purpose: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.String({ format: 'date-time' }),
});

const UsageItem = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  event: Type.Union(
    ['show', 'verify', 'share', 'download'].map((e) => Type.Literal(e)),
    {
      description: 'show 亮证；verify 查验；share 用证方读取；download 下载',
    },
  ),
  identifier: Type.String(),
  kind: Kind,
  verification: Type.Union([
    Type.Object({
      codeType: Type.String({ description: 'token 亮证码；document 证照二维码' }),
      officerRole: Type.String({ description: '查验人员角色' }),
      agency: Type.String({ description: '查验单位（部门或行政区划）' }),
      place: Type.Union([Type.String(), Type.Null()]),
      result: Type.Union([Type.Literal('valid'), Type.Literal('invalid')]),
      recognized: Type.Union([Type.Boolean(), Type.Null()], { description: '是否认可；未记录为 null' }),
      outcomeReason: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  share: Type.Union([
    Type.Object({
      relyingParty: Type.String({ description: '用证方名称' }),
      basis: Type.Union([Type.Literal('consent'), Type.Literal('duty'), Type.Literal('code')]),
      purpose: Type.Union([Type.String(), Type.Null()]),
      fields: Type.Array(Field),
    }),
    Type.Null(),
  ]),
});

const SharedCertificate = Type.Object({
  identifier: Type.String({ description: '当前版本的标识（证照已换发时与请求的标识不同）' }),
  version: Type.Integer(),
  kind: Kind,
  status: CertificateStatus,
  statusCode: Type.String(),
  statusName: Type.String(),
  validFrom: Type.Union([Type.String(), Type.Null()]),
  validTo: Type.Union([Type.String(), Type.Null()]),
  fields: Type.Record(Type.String(), Type.Unknown(), { description: '仅授权的照面项；未填写的为 null' }),
  labels: Type.Record(Type.String(), Type.String(), { description: '照面项中文名称' }),
  access: Type.Object({
    id: Type.String({ format: 'uuid', description: '本次访问记录编号' }),
    basis: Type.Union([Type.Literal('consent'), Type.Literal('duty'), Type.Literal('code')]),
    purpose: Type.Union([Type.String(), Type.Null()]),
    at: Type.String({ format: 'date-time' }),
  }),
});

/** The holder's side, registered under /api/v1/wallet beside the wallet routes. */
export const walletSharingRoutes: FastifyPluginAsync = async (app) => {
  app.decorateRequest('holder', null);
  app.decorateRequest('holderToken', null);
  const holderOnly = requireHolder(app);

  app.get(
    '/relying-parties',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['sharing'],
        summary: '可授权的用证方',
        security,
        response: { 200: Type.Object({ items: Type.Array(RelyingParty) }), ...problems(401) },
      },
    },
    async (request) => listRelyingParties(app.services.context(request)),
  );

  app.get<{ Params: { identifier: string } }>(
    '/certificates/:identifier/share-fields',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['sharing'],
        summary: '本人一张电子证照可授权的照面项',
        security,
        params: IdentifierParams,
        response: { 200: Type.Object({ items: Type.Array(Field) }), ...problems(400, 401, 404) },
      },
    },
    async (request) =>
      holderShareableFields(app.services.context(request), request.holder!, request.params.identifier),
  );

  app.post<{ Body: GrantInput }>(
    '/grants',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['sharing'],
        summary: '授权用证方读取本人电子证照的指定照面项',
        security,
        body: GrantBody,
        response: { 201: Grant, ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const grant = await createGrant(app.services.context(request), request.holder!, request.body);
      return reply.status(201).send(grant);
    },
  );

  app.get(
    '/grants',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['sharing'],
        summary: '本人的授权（含已撤回、已到期），最新在前',
        security,
        response: { 200: Type.Object({ items: Type.Array(Grant) }), ...problems(401) },
      },
    },
    async (request) => listHolderGrants(app.services.context(request), request.holder!),
  );

  app.delete<{ Params: { id: string } }>(
    '/grants/:id',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['sharing'],
        summary: '撤回授权（立即生效）',
        security,
        params: GrantIdParams,
        response: { 200: Grant, ...problems(400, 401, 404) },
      },
    },
    async (request) => withdrawHolderGrant(app.services.context(request), request.holder!, request.params.id),
  );

  app.post<{
    Params: { identifier: string };
    Body: { fields?: string[]; purpose?: string; ttlMinutes?: number };
  }>(
    '/certificates/:identifier/share-codes',
    {
      preHandler: holderOnly,
      config: { rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: {
        tags: ['sharing'],
        summary: '生成一次性用证码（仅限一张证照、一次读取，最长 30 分钟）',
        security,
        params: IdentifierParams,
        body: ShareCodeBody,
        response: { 201: ShareCode, ...problems(400, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      const code = await createShareCode(
        app.services.context(request),
        request.holder!,
        request.params.identifier,
        request.body,
      );
      return reply.status(201).send(code);
    },
  );

  app.get<{ Querystring: { identifier?: string; cursor?: string; limit?: number } }>(
    '/usage',
    {
      preHandler: holderOnly,
      schema: {
        tags: ['sharing'],
        summary: '本人电子证照的使用记录：亮证、查验、用证方读取、下载，最新在前',
        security,
        querystring: Type.Object(
          {
            identifier: Type.Optional(Type.String({ minLength: 20, maxLength: 160 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(UsageItem),
            nextCursor: Type.Union([Type.String(), Type.Null()], {
              description: '下一页游标；无更多为 null',
            }),
          }),
          ...problems(400, 401),
        },
      },
    },
    async (request) => listUsage(app.services.context(request), request.holder!, request.query),
  );
};

const header = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** Relying parties' signed reads and staff duty grants, under /api/v1/share. */
const shareRoutes: FastifyPluginAsync = async (app) => {
  // Credentials belong in headers: a code in a query string would end up in access logs.
  app.addHook('onRequest', async (request) => {
    if (/[?&](grant|code)=/.test(request.url)) {
      throw new AppError('BAD_REQUEST', '授权编号与用证码只能放在 X-Grant-Id / X-Share-Code 请求头中');
    }
  });

  app.get<{ Params: { identifier: string } }>(
    '/certificates/:identifier',
    {
      // Keyed by the claimed client (and address), so one party's probing does not slow others.
      config: {
        rateLimit: {
          max: 120,
          timeWindow: '1 minute',
          keyGenerator: (request) => `${header(request.headers['x-client-id']) ?? '-'}|${request.ip}`,
        },
      },
      schema: {
        tags: ['sharing'],
        summary: '用证方读取经授权的电子证照（仅授权的照面项）',
        description:
          '签名：X-Client-Id、X-Timestamp（ISO 8601，±5 分钟）、X-Signature = hex(HMAC-SM3(secret, X-Timestamp + "\\n" + "GET " + 请求路径（含查询串） + "\\n"))；同一签名只能使用一次。凭据：X-Grant-Id（授权编号）或 X-Share-Code（一次性用证码），二选一。未知标识与未授权标识的响应完全相同。',
        params: IdentifierParams,
        headers: Type.Object({
          'x-client-id': Type.String({ description: '用证方标识' }),
          'x-timestamp': Type.String({ description: 'ISO 8601 时间' }),
          'x-signature': Type.String({ description: '十六进制 HMAC-SM3' }),
          'x-grant-id': Type.Optional(Type.String({ description: '授权编号' })),
          'x-share-code': Type.Optional(Type.String({ description: '一次性用证码' })),
        }),
        response: { 200: SharedCertificate, ...problems(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const h = request.headers;
      return readSharedCertificate(app.services.context(request), {
        signed: {
          clientId: header(h['x-client-id']),
          timestamp: header(h['x-timestamp']),
          signature: header(h['x-signature']),
          rawBody: Buffer.alloc(0),
          target: `GET ${request.url}`,
        },
        grantId: header(h['x-grant-id']),
        shareCode: header(h['x-share-code']),
        identifier: request.params.identifier,
      });
    },
  );

  app.post<{ Body: DutyGrantInput }>(
    '/duty-grants',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags: ['sharing'],
        summary: '依职能授权用证方读取本辖区指定类型的电子证照（须载明法律依据）',
        security,
        body: DutyGrantBody,
        response: { 201: Grant, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const grant = await createDutyGrant(app.services.context(request), request.staff!, request.body);
      return reply.status(201).send(grant);
    },
  );

  app.get(
    '/duty-grants',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags: ['sharing'],
        summary: '本辖区的依职能授权',
        security,
        response: { 200: Type.Object({ items: Type.Array(Grant) }), ...problems(401, 403) },
      },
    },
    async (request) => listDutyGrants(app.services.context(request), request.staff!),
  );

  app.delete<{ Params: { id: string } }>(
    '/duty-grants/:id',
    {
      preHandler: app.requireStaff('certificates.manage'),
      schema: {
        tags: ['sharing'],
        summary: '撤回依职能授权（立即生效）',
        security,
        params: GrantIdParams,
        response: { 200: Grant, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => withdrawDutyGrant(app.services.context(request), request.staff!, request.params.id),
  );
};

export default shareRoutes;
