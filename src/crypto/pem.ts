import { AppError } from '../errors.ts';

/** PEM (RFC 7468) armour for DER: 64-character base64 lines between BEGIN/END labels. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * DER of the first PEM block labelled `label` (any label when omitted). Text before and
 * after the blocks is ignored, as OpenSSL does; a block whose END label differs or whose
 * body is not base64 is refused rather than half-decoded.
 */
export function fromPem(pem: string, label?: string): Buffer {
  for (const match of pem.matchAll(PEM_BLOCK)) {
    const [, begin, body, end] = match;
    if (begin !== end)
      throw new AppError('CRYPTO_INVALID_INPUT', `PEM 格式不正确：BEGIN ${begin} 与 END ${end} 不一致`);
    if (label !== undefined && begin !== label) continue;
    const compact = (body ?? '').replace(/\s+/g, '');
    if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
      throw new AppError('CRYPTO_INVALID_INPUT', `PEM 格式不正确：${begin} 的内容不是有效的 Base64`);
    }
    return Buffer.from(compact, 'base64');
  }
  throw new AppError(
    'CRYPTO_INVALID_INPUT',
    label === undefined ? 'PEM 格式不正确：未找到 PEM 数据块' : `PEM 格式不正确：未找到 ${label} 数据块`,
  );
}

/** Accepts DER bytes or PEM text; text that does not look like PEM is refused. */
export function derFromPemOrDer(input: string | Uint8Array, label: string): Buffer {
  if (typeof input === 'string') return fromPem(input, label);
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // A PEM file read as bytes starts with "-----"; decode it instead of failing as bad DER.
  if (bytes.length > 5 && bytes.subarray(0, 5).toString('latin1') === '-----') {
    return fromPem(bytes.toString('utf8'), label);
  }
  return bytes;
}
