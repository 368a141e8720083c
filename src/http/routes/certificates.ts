import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import {
  getCertificate,
  getCertificateHistory,
  type ListCertificatesQuery,
  listCertificates,
} from '../../services/certificates/query-certificates.ts';
import { problems } from '../problem.ts';

const Status = Type.Union(
  ['valid', 'suspended', 'superseded', 'revoked', 'expired'].map((s) => Type.Literal(s)),
);
const Summary = Type.Object({
  identifier: Type.String(),
  version: Type.Integer(),
  kind: Type.Object({ code: Type.String(), name: Type.String() }),
  regionCode: Type.String(),
  regionName: Type.String(),
  certificateNumber: Type.String(),
  holderName: Type.String(),
  status: Status,
  statusCode: Type.String({
    description: '证照状态代码：10 有效，01 无效（已换发），02 无效（已过期），03 已注销，09 无效（暂停）',
  }),
  statusName: Type.String(),
  issueDate: Type.String(),
  validFrom: Type.Union([Type.String(), Type.Null()]),
  validTo: Type.Union([Type.String(), Type.Null()]),
  signedAt: Type.String(),
});
const Detail = Type.Intersect([
  Summary,
  Type.Object({
    serial: Type.String(),
    catalogVersion: Type.Integer(),
    statusReason: Type.Union([Type.String(), Type.Null()]),
    statusChangedAt: Type.String(),
    issuer: Type.Object({ name: Type.String(), code: Type.String() }),
    holder: Type.Object({ idType: Type.String(), id: Type.String(), name: Type.String() }),
    face: Type.Record(Type.String(), Type.Unknown()),
    previousIdentifier: Type.Union([Type.String(), Type.Null()]),
    nextIdentifier: Type.Union([Type.String(), Type.Null()]),
    signedData: Type.String({ description: '被签名的 RFC 8785 规范化 JSON 原文（base64）' }),
    signedDataDigest: Type.String({ description: 'signedData 的 SM3 摘要（十六进制）' }),
    signature: Type.String({ description: 'SM2 签名（DER，base64；GB/T 32918，默认用户标识）' }),
    seal: Type.Object({
      keyId: Type.String(),
      algorithm: Type.Literal('SM2-with-SM3'),
      signerId: Type.String(),
      certificateSerial: Type.Union([Type.String(), Type.Null()]),
      certificate: Type.Union([Type.String(), Type.Null()], { description: '签章证书（PEM）' }),
      trustUrl: Type.String(),
    }),
  }),
]);
const IdentifierParams = Type.Object({
  identifier: Type.String({
    minLength: 20,
    maxLength: 160,
    pattern: '^1\\.2\\.156\\.3005\\.2\\.[0-9A-Z.]+$',
  }),
});
const security = [{ bearer: [] }];

const routes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: ListCertificatesQuery }>(
    '',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags: ['certificates'],
        summary: '本辖区电子证照列表（个人信息脱敏）',
        security,
        querystring: Type.Object(
          {
            regionCode: Type.Optional(Type.String({ pattern: '^\\d{6}$' })),
            kind: Type.Optional(Type.String({ pattern: '^[0-9A-Z]{21}$' })),
            status: Type.Optional(Status),
            certificateNumber: Type.Optional(Type.String({ maxLength: 64 })),
            includeSuperseded: Type.Optional(Type.Boolean({ default: false })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(Summary),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => listCertificates(app.services.context(request), request.staff!, request.query),
  );

  app.get<{ Params: { identifier: string } }>(
    '/:identifier',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags: ['certificates'],
        summary: '电子证照详情，含签名原文、SM2 签名与签章证书（可用 openssl 独立核验）',
        description:
          '核验：base64 解码 signedData 与 signature，取 /api/v1/trust 中的签章证书公钥，执行 openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig.der data。查看行为记入审计日志。',
        security,
        params: IdentifierParams,
        response: { 200: Detail, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      getCertificate(
        app.services.context(request),
        app.services.keyring,
        request.staff!,
        request.params.identifier,
      ),
  );

  app.get<{ Params: { identifier: string } }>(
    '/:identifier/history',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags: ['certificates'],
        summary: '电子证照全部版本与生命周期事件',
        security,
        params: IdentifierParams,
        response: {
          200: Type.Object({
            identifier: Type.String(),
            versions: Type.Array(
              Type.Object({
                identifier: Type.String(),
                version: Type.Integer(),
                status: Type.String(),
                statusName: Type.String(),
                event: Type.String(),
                signedAt: Type.String(),
              }),
            ),
            events: Type.Array(
              Type.Object({
                at: Type.String(),
                event: Type.String(),
                fromState: Type.Union([Type.String(), Type.Null()]),
                toState: Type.String(),
                identifier: Type.Union([Type.String(), Type.Null()]),
                reason: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      getCertificateHistory(app.services.context(request), request.staff!, request.params.identifier),
  );
};

export default routes;
