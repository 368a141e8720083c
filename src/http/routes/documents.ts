import multipart from '@fastify/multipart';
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sm3Hex } from '../../crypto/sm3.ts';
import { AppError } from '../../errors.ts';
import {
  documentOutcomes,
  MAX_DOCUMENT_BYTES,
  verifyCertificateDocument,
} from '../../services/documents/verify-document.ts';
import { bearerToken } from '../plugins/auth.ts';
import { problems } from '../problem.ts';

/** Checks per minute: anyone holding a document may check it, but not as a lookup service. */
export const ANONYMOUS_VERIFY_PER_MINUTE = 10;
export const STAFF_VERIFY_PER_MINUTE = 300;

const MAX_MB = MAX_DOCUMENT_BYTES / 1024 / 1024;

const Reason = Type.Object({
  code: Type.String({ description: '稳定的原因代码' }),
  message: Type.String({ description: '中文说明' }),
  path: Type.Optional(Type.String({ description: '有问题的文件（OFD 包内路径）或 PDF 部位' })),
});
const DocumentVerdict = Type.Object({
  format: Type.Union([Type.Literal('ofd'), Type.Literal('pdf')]),
  outcome: Type.Union(
    documentOutcomes.map((o) => Type.Literal(o)),
    {
      description:
        'valid 有效；tampered 文档被篡改或签章无效；unknown_issuer 非受信任的签发方；signature_valid_status_* 签章有效但证照已注销/已换发/已过期/已暂停；status_unknown 签章有效但状态未知（离线或平台无此证照）',
    },
  ),
  reasons: Type.Array(Reason),
  document: Type.Optional(
    Type.Object(
      {
        identifier: Type.String(),
        version: Type.Integer(),
        kindCode: Type.String(),
        certificateNumber: Type.String(),
        issuerCode: Type.String(),
        issuerName: Type.String(),
        catalogVersion: Type.String(),
        templateId: Type.String(),
        issuedAt: Type.String(),
        signedDataSm3: Type.String(),
        signedDataEmbedded: Type.Boolean(),
        seal: Type.Object({
          name: Type.String(),
          esID: Type.String(),
          certificateSerial: Type.String(),
          signedAt: Type.String({ format: 'date-time' }),
        }),
      },
      { description: '签章有效时，文档自身载明的信息' },
    ),
  ),
  status: Type.Optional(
    Type.Object(
      {
        state: Type.Union(
          ['valid', 'superseded', 'revoked', 'expired', 'suspended'].map((s) => Type.Literal(s)),
        ),
        supersededBy: Type.Optional(Type.String({ description: '已换发时的新版本标识' })),
        at: Type.String({ format: 'date-time', description: '状态的查询时间' }),
      },
      { description: '证照当前状态；无法确定时不返回' },
    ),
  ),
  checkedAt: Type.String({ format: 'date-time' }),
});

/** A presented session token (checked later by `requireStaff`), else the caller's address. */
function rateKey(request: FastifyRequest): string {
  try {
    const token = bearerToken(request);
    if (token) return `staff:${sm3Hex(Buffer.from(token)).slice(0, 32)}`;
  } catch {
    // A malformed header is refused by the pre-handler; count it against the address.
  }
  return `ip:${request.ip}`;
}

const tooLarge = () =>
  new AppError('PAYLOAD_TOO_LARGE', `文档超过 ${MAX_MB} MB 的上限`, {
    details: { maxBytes: MAX_DOCUMENT_BYTES },
  });

/**
 * 电子证照文档核验. Open to anyone who holds a document, as the QR's status URL is:
 * the answer only repeats what the sealed document itself states, plus its current status, so it
 * is not a lookup — nothing is answered for an identifier without its sealed document.
 * Anonymous callers get a strict per-address rate limit; a signed-in staff member a wider one,
 * and the check is in the audit trail under their name.
 */
const routes: FastifyPluginAsync = async (app) => {
  await app.register(multipart, {
    limits: { fileSize: MAX_DOCUMENT_BYTES, files: 1, fields: 5, parts: 6, fieldSize: 1024 },
  });
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: MAX_DOCUMENT_BYTES },
    (_request, body, done) => done(null, body),
  );
  // Size refusals name the limit; everything else goes on to the app's one error mapping.
  app.setErrorHandler((error: FastifyError) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'FST_REQ_FILE_TOO_LARGE') {
      throw tooLarge();
    }
    if (
      error.code === 'FST_FILES_LIMIT' ||
      error.code === 'FST_PARTS_LIMIT' ||
      error.code === 'FST_FIELDS_LIMIT'
    ) {
      throw new AppError('BAD_REQUEST', '表单只能包含一个文件字段 file');
    }
    throw error;
  });

  app.post(
    '/verify',
    {
      bodyLimit: MAX_DOCUMENT_BYTES,
      config: {
        rateLimit: {
          timeWindow: '1 minute',
          keyGenerator: rateKey,
          max: (request) =>
            rateKey(request).startsWith('staff:') ? STAFF_VERIFY_PER_MINUTE : ANONYMOUS_VERIFY_PER_MINUTE,
        },
      },
      preHandler: async (request, reply) => {
        // A presented token must be valid: no silent fall-back to anonymous.
        if (bearerToken(request)) await app.requireStaff()(request, reply);
      },
      schema: {
        tags: ['verification'],
        summary: '核验电子证照文档（OFD/PDF）：签章、证书链、有效期与证照当前状态',
        description: `上传方式：请求体为文件原始字节（Content-Type: application/octet-stream），或 multipart/form-data 的 file 字段；不超过 ${MAX_MB} MB。文档无效时仍返回 200，由 outcome 说明；不是 OFD/PDF 文档时返回 400（DOCUMENT_UNRECOGNIZED）。无需登录（每个地址每分钟 ${ANONYMOUS_VERIFY_PER_MINUTE} 次）；工作人员登录后每分钟 ${STAFF_VERIFY_PER_MINUTE} 次并记入审计日志。`,
        consumes: ['application/octet-stream', 'multipart/form-data'],
        security: [{}, { bearer: [] }],
        response: { 200: DocumentVerdict, ...problems(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const bytes = await uploadedBytes(request);
      return verifyCertificateDocument(
        app.services.context(request),
        app.services.keyring,
        request.staff,
        bytes,
      );
    },
  );
};

async function uploadedBytes(request: FastifyRequest): Promise<Buffer> {
  if (request.isMultipart()) {
    const part = await request.file();
    if (part?.fieldname !== 'file') {
      throw new AppError('BAD_REQUEST', '表单中缺少文件字段 file');
    }
    return part.toBuffer();
  }
  if (!Buffer.isBuffer(request.body)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      '请以 application/octet-stream（文件原始字节）或 multipart/form-data（file 字段）上传文档',
    );
  }
  return request.body;
}

export default routes;
