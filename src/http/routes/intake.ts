import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { intakeEvents } from '../../domain/lifecycle.ts';
import { AppError } from '../../errors.ts';
import { authenticateClient } from '../../services/clients/authenticate-client.ts';
import { openIntakeContext } from '../../services/intake/context.ts';
import { submitRecords } from '../../services/intake/submit-records.ts';
import { MAX_BATCH } from '../../services/intake/types.ts';
import { problems } from '../problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

const IntakeError = Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() });
const IntakeResult = Type.Object({
  sourceRecordId: Type.Union([Type.String(), Type.Null()]),
  sourceVersion: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Union(
    ['issued', 'updated', 'recorded', 'nonstandard', 'duplicate', 'rejected'].map((s) => Type.Literal(s)),
  ),
  identifier: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(IntakeError)),
  originalStatus: Type.Optional(Type.String()),
});

const recordDescription = `证照记录：{ sourceRecordId, sourceVersion, event, kind, regionCode, certificateNumber, issuer: {name, code}, issueDate, holder: {idType, id, name, phone?}, validFrom, validTo, face: {…}, reason? }。event 取值：${intakeEvents.join('、')}。`;

/**
 * The source systems' entrance (运政系统 → platform). Signed with HMAC-SM3 over the raw body, so
 * this plugin keeps the bytes exactly as received before parsing them.
 */
const routes: FastifyPluginAsync = async (app) => {
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: 16 * 1024 * 1024 },
    (request, body, done) => {
      (request as FastifyRequest).rawBody = body as Buffer;
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')));
      } catch {
        done(new AppError('BAD_REQUEST', '请求体不是合法的 JSON'), undefined);
      }
    },
  );

  app.post<{ Body: { records: unknown[] } }>(
    '/records',
    {
      bodyLimit: 16 * 1024 * 1024,
      preValidation: async (request) => {
        // Authenticate before schema validation: an unsigned request learns nothing about the schema.
        const header = (name: string) => {
          const v = request.headers[name];
          return typeof v === 'string' ? v : undefined;
        };
        const client = await authenticateClient(
          app.services.context(request),
          {
            clientId: header('x-client-id'),
            timestamp: header('x-timestamp'),
            signature: header('x-signature'),
            rawBody: request.rawBody ?? Buffer.alloc(0),
          },
          'source',
        );
        request.intakeClient = { id: client.id, regionCode: client.regionCode };
        const body = request.body as { records?: unknown } | undefined;
        if (Array.isArray(body?.records) && body.records.length > MAX_BATCH) {
          throw new AppError(
            'BATCH_TOO_LARGE',
            `每批最多 ${MAX_BATCH} 条记录，本批 ${body.records.length} 条`,
          );
        }
      },
      schema: {
        tags: ['intake'],
        summary: '运政系统推送证照数据（批量，每条独立处理）',
        description: `${recordDescription}\n\n签名：X-Client-Id、X-Timestamp（ISO 8601，±5 分钟）、X-Signature = hex(HMAC-SM3(secret, X-Timestamp + "\\n" + 原始请求体))。同一 sourceRecordId + sourceVersion 重复推送返回 duplicate 且不做任何修改。`,
        headers: Type.Object({
          'x-client-id': Type.String({ description: '接入系统标识' }),
          'x-timestamp': Type.String({ description: 'ISO 8601 时间' }),
          'x-signature': Type.String({ description: '十六进制 HMAC-SM3' }),
        }),
        body: Type.Object(
          { records: Type.Array(Type.Unknown(), { minItems: 1 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            received: Type.Integer(),
            summary: Type.Record(Type.String(), Type.Integer()),
            results: Type.Array(IntakeResult),
          }),
          ...problems(400, 401, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const client = request.intakeClient!;
      const ctx = await openIntakeContext(app.services.context(request), app.services.keyring);
      const results = await submitRecords(
        ctx,
        {
          clientId: client.id,
          regionCode: client.regionCode,
          actor: { type: 'system', id: `client:${client.id}`, regionCode: client.regionCode },
        },
        request.body.records,
        { concurrency: app.services.store.engine === 'postgres' ? 8 : 1 },
      );
      const summary: Record<string, number> = {};
      for (const r of results) summary[r.status] = (summary[r.status] ?? 0) + 1;
      return { received: results.length, summary, results };
    },
  );
};

declare module 'fastify' {
  interface FastifyRequest {
    intakeClient?: { id: string; regionCode: string };
  }
}

export default routes;
