import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CertificateDocument } from '../../services/documents/get-certificate-document.ts';

/** `?format=ofd|pdf` of the document downloads; OFD (the national format) when omitted. */
export const DocumentQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('ofd'), Type.Literal('pdf')], {
        default: 'ofd',
        description: 'ofd（GB/T 33190 版式文件，国家标准格式）或 pdf（手机通用）',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The file itself; documented for OpenAPI, sent as raw bytes (never serialized). */
export const DocumentBody = Type.Unsafe<Buffer>({
  type: 'string',
  format: 'binary',
  description: '加盖电子印章的证照文档（application/ofd 或 application/pdf）；ETag 为文件的 SM3',
});

/** RFC 5987 / 6266: an ASCII fallback name and the UTF-8 Chinese name. */
export function contentDisposition(filename: string, fallback: string): string {
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encoded}`;
}

/** Sends a stored document: media type, Chinese file name, ETag = SM3 (304 when it matches). */
export function sendDocument(request: FastifyRequest, reply: FastifyReply, document: CertificateDocument) {
  const etag = `"${document.sm3}"`;
  reply
    .header('etag', etag)
    // Personal data: kept by the browser only, revalidated by ETag.
    .header('cache-control', 'private, no-cache')
    .header(
      'content-disposition',
      contentDisposition(document.filename, `${document.identifier}.${document.format}`),
    );
  if (request.headers['if-none-match'] === etag) return reply.status(304).send();
  return reply.type(document.mediaType).send(document.bytes);
}
