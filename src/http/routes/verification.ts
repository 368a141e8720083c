import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { activationStats } from '../../services/verification/activation-stats.ts';
import { recordOutcome } from '../../services/verification/record-outcome.ts';
import { getStatusList } from '../../services/verification/status-list.ts';
import { uploadOfflineVerification } from '../../services/verification/upload-offline-verification.ts';
import { verificationReasons, verifyCode } from '../../services/verification/verify-code.ts';
import { problems } from '../problem.ts';

const security = [{ bearer: [] }];
const Status = Type.Union(
  ['valid', 'suspended', 'superseded', 'revoked', 'expired'].map((s) => Type.Literal(s)),
);

const VerifyBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 2048, description: '扫描到的内容：亮证码或证照二维码' }),
    place: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: '查验地点' })),
  },
  { additionalProperties: false },
);
const VerifiedCertificate = Type.Object({
  identifier: Type.String(),
  version: Type.Integer(),
  kind: Type.Object({ code: Type.String(), name: Type.String() }),
  regionCode: Type.String(),
  status: Status,
  statusCode: Type.String(),
  statusName: Type.String(),
  certificateNumber: Type.String(),
  holderName: Type.String(),
  face: Type.Record(Type.String(), Type.Unknown(), { description: '照面信息' }),
  issueDate: Type.String(),
  validFrom: Type.Union([Type.String(), Type.Null()]),
  validTo: Type.Union([Type.String(), Type.Null()]),
  nextIdentifier: Type.Union([Type.String(), Type.Null()], { description: '已换发时的最新版本标识' }),
});
const VerifyResponse = Type.Object({
  verificationId: Type.String({ format: 'uuid' }),
  result: Type.Union([Type.Literal('valid'), Type.Literal('invalid')]),
  reason: Type.Optional(
    Type.Union(
      Object.keys(verificationReasons).map((r) => Type.Literal(r)),
      { description: '未通过的原因代码' },
    ),
  ),
  message: Type.String(),
  certificate: Type.Union([VerifiedCertificate, Type.Null()]),
  checkedAt: Type.String({ format: 'date-time' }),
});
const OutcomeBody = Type.Object(
  {
    recognized: Type.Boolean({ description: '是否认可所出示的电子证照' }),
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: '不认可的原因（不认可时必填）' }),
    ),
  },
  { additionalProperties: false },
);
const OfflineBody = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: '页面离线查验时生成的编号；重复上传同一编号只记录一次' }),
    code: Type.String({ minLength: 1, maxLength: 2048, description: '离线时扫描到的内容' }),
    checkedAt: Type.String({ format: 'date-time', description: '离线查验的时间（7 天内）' }),
    place: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: '查验地点' })),
    outcome: Type.Optional(
      Type.Object(
        {
          recognized: Type.Boolean(),
          reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: '不认可的原因' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const OfflineResponse = Type.Intersect([
  VerifyResponse,
  Type.Object({
    duplicate: Type.Boolean({ description: '该编号此前已上传，返回的是已记录的结果' }),
    outcomeRecorded: Type.Boolean(),
  }),
]);
type OfflineInput = {
  id: string;
  code: string;
  checkedAt: string;
  place?: string;
  outcome?: { recognized: boolean; reason?: string };
};
const StatusListResponse = Type.Object({
  issuedAt: Type.String({ format: 'date-time' }),
  maxAgeSeconds: Type.Integer(),
  sealKeyId: Type.String(),
  entries: Type.Array(
    Type.Object({
      identifier: Type.String(),
      status: Type.Union([Type.Literal('revoked'), Type.Literal('suspended'), Type.Literal('superseded')]),
    }),
  ),
  signature: Type.String({
    description: 'SM2 签名（默认 ID，DER，base64），覆盖除 signature 外各字段的 RFC 8785 规范化 JSON',
  }),
});

/** 亮证与查验 (R-6.5): officers' checks and outcomes, the signed status list, and 激活率 (R-7.6). */
const routes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { code: string; place?: string } }>(
    '/verify',
    {
      preHandler: app.requireStaff('certificates.verify'),
      schema: {
        tags: ['verification'],
        summary: '查验亮证码或证照二维码：签名、时效、一次性使用与证照当前状态',
        security,
        body: VerifyBody,
        response: { 200: VerifyResponse, ...problems(400, 401, 403, 503) },
      },
    },
    async (request) =>
      verifyCode(app.services.context(request), app.services.keyring, request.staff!, request.body),
  );

  app.post<{ Body: OfflineInput }>(
    '/verify/offline',
    {
      preHandler: app.requireStaff('certificates.verify'),
      schema: {
        tags: ['verification'],
        summary: '上传离线查验：平台按查验时间重新核验并记录，可同时记录认可结果',
        security,
        body: OfflineBody,
        response: { 200: OfflineResponse, ...problems(400, 401, 403, 409, 503) },
      },
    },
    async (request) =>
      uploadOfflineVerification(app.services.context(request), app.services.keyring, request.staff!, {
        ...request.body,
        checkedAt: new Date(request.body.checkedAt),
      }),
  );

  app.post<{ Params: { id: string }; Body: { recognized: boolean; reason?: string } }>(
    '/verify/:id/outcome',
    {
      preHandler: app.requireStaff('certificates.verify'),
      schema: {
        tags: ['verification'],
        summary: '记录亮证认可结果（查验人本人，仅一次）',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: OutcomeBody,
        response: {
          200: Type.Object({
            verificationId: Type.String(),
            recognized: Type.Boolean(),
            reason: Type.Union([Type.String(), Type.Null()]),
            recordedAt: Type.String({ format: 'date-time' }),
          }),
          ...problems(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) =>
      recordOutcome(app.services.context(request), request.staff!, request.params.id, request.body),
  );

  app.get(
    '/status-list',
    {
      preHandler: app.requireStaff('certificates.verify'),
      schema: {
        tags: ['verification'],
        summary: '已签名的证照状态列表（注销、暂停、已换发），供离线查验',
        security,
        response: { 200: StatusListResponse, ...problems(401, 403, 503) },
      },
    },
    async (request) => getStatusList(app.services.context(request), app.services.keyring, request.staff!),
  );

  app.get<{ Querystring: { year?: number; regionCode?: string } }>(
    '/stats/activation',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags: ['verification'],
        summary: '年度激活率：按区划与证照类型统计当年签发、已使用与不认可次数（R-7.6）',
        security,
        querystring: Type.Object(
          {
            year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
            regionCode: Type.Optional(Type.String({ pattern: '^\\d{6}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            year: Type.Integer(),
            rows: Type.Array(
              Type.Object({
                regionCode: Type.String(),
                regionName: Type.String(),
                kind: Type.Union([Type.String(), Type.Null()]),
                kindName: Type.Union([Type.String(), Type.Null()]),
                issued: Type.Integer(),
                activated: Type.Integer(),
                activationRate: Type.Union([Type.Number(), Type.Null()]),
                notRecognized: Type.Integer(),
              }),
            ),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => activationStats(app.services.context(request), request.staff!, request.query),
  );
};

export default routes;
