import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import {
  getCertificate,
  getCertificateHistory,
  type ListCertificatesQuery,
  listCertificates,
} from '../../services/certificates/query-certificates.ts';
import { getCertificateDocument } from '../../services/documents/get-certificate-document.ts';
import { problems } from '../problem.ts';
import {
  CertificateDetail,
  CertificateStatus,
  CertificateSummary,
  IdentifierParams,
} from '../schemas/certificate.ts';
import { DocumentBody, DocumentQuery, sendDocument } from '../schemas/document.ts';

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
            status: Type.Optional(CertificateStatus),
            certificateNumber: Type.Optional(Type.String({ maxLength: 64 })),
            includeSuperseded: Type.Optional(Type.Boolean({ default: false })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(CertificateSummary),
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
        response: { 200: CertificateDetail, ...problems(400, 401, 403, 404) },
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

  app.get<{ Params: { identifier: string }; Querystring: { format?: 'ofd' | 'pdf' } }>(
    '/:identifier/document',
    {
      preHandler: app.requireStaff('certificates.read'),
      schema: {
        tags: ['certificates'],
        summary: '下载加盖电子印章的证照文档（OFD 或 PDF）',
        description:
          '首次请求时生成并保存，之后返回同一文件（ETag 为文件 SM3）。文档内附签名原文 certificate.json，可用 roadcert verify 离线核验。下载记入审计日志。',
        security,
        params: IdentifierParams,
        querystring: DocumentQuery,
        response: { 200: DocumentBody, ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) =>
      sendDocument(
        request,
        reply,
        await getCertificateDocument(
          app.services.context(request),
          { keyring: app.services.keyring },
          request.staff!,
          request.params.identifier,
          request.query.format ?? 'ofd',
        ),
      ),
  );
};

export default routes;
