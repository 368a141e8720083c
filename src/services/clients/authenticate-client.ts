import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import { sm3Hex } from '../../crypto/sm3.ts';
import { AppError, type ErrorCode } from '../../errors.ts';
import { isUniqueViolation } from '../../store/errors.ts';
import { clientRequestNonces, clients } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { Actor, ServiceContext } from '../context.ts';

export const CLOCK_SKEW_MS = 5 * 60_000;
type Client = typeof clients.$inferSelect;

export interface SignedRequest {
  clientId: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  /**
   * Method and path with query as received ("GET /api/v1/share/certificates/…"), for requests
   * whose meaning is in the URL: signing it means a signature cannot be replayed against
   * another certificate. Intake (POST, the body says everything) signs without it.
   */
  target?: string;
}

/**
 * The string a client signs: the X-Timestamp header, a newline, then (when the request has a
 * target) the method and path with query and a newline, then the raw body bytes.
 */
export function signingInput(timestamp: string, rawBody: Buffer, target?: string): Buffer {
  const head = target === undefined ? `${timestamp}\n` : `${timestamp}\n${target}\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), rawBody]);
}

/** For clients and tests: hex HMAC-SM3 with the secret. */
export function signRequest(
  secret: string,
  timestamp: string,
  rawBody: Buffer | string,
  target?: string,
): string {
  return createHmac('sm3', secret)
    .update(
      signingInput(timestamp, Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8'), target),
    )
    .digest('hex');
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Authenticates a signed machine request (X-Client-Id, X-Timestamp, X-Signature): a known,
 * active client; a timestamp within ±5 minutes; a valid HMAC-SM3; and a signature not seen
 * before (replay). Every refusal is recorded in the audit trail and answered 401 with its code.
 */
export async function authenticateClient(
  ctx: ServiceContext,
  req: SignedRequest,
  kind: Client['kind'],
): Promise<Client> {
  const now = ctx.clock.now();
  const refuse = async (code: ErrorCode, message: string, client?: Client): Promise<never> => {
    const actor: Actor = {
      type: 'system',
      id: client ? `client:${client.id}` : 'anonymous-client',
      regionCode: client?.regionCode ?? ctx.config.province.code,
    };
    await ctx.db.transaction((tx) =>
      appendAudit(
        tx,
        actor,
        {
          action: 'intake.auth_failed',
          regionCode: client?.regionCode ?? ctx.config.province.code,
          targetType: 'client',
          targetId: (req.clientId ?? '').slice(0, 64) || undefined,
          outcome: 'failure',
          details: { reason: code },
        },
        { at: now, requestId: ctx.requestId },
      ),
    );
    throw new AppError(code, message);
  };

  if (!req.clientId || !req.timestamp || !req.signature) {
    return refuse('CLIENT_SIGNATURE_INVALID', '缺少 X-Client-Id、X-Timestamp 或 X-Signature 请求头');
  }
  const [client] = /^[A-Za-z0-9_-]{1,64}$/.test(req.clientId)
    ? await ctx.db.select().from(clients).where(eq(clients.id, req.clientId))
    : [];
  if (!client || client.kind !== kind) return refuse('CLIENT_SIGNATURE_INVALID', '接入系统不存在或签名无效');
  if (client.status !== 'active') return refuse('CLIENT_SIGNATURE_INVALID', '接入系统已停用', client);
  const ts = ISO_8601.test(req.timestamp) ? Date.parse(req.timestamp) : Number.NaN;
  if (Number.isNaN(ts))
    return refuse(
      'CLIENT_TIMESTAMP_SKEW',
      'X-Timestamp 应为 ISO 8601 时间，如 2026-01-01T08:00:00+08:00',
      client,
    );
  if (Math.abs(now.getTime() - ts) > CLOCK_SKEW_MS) {
    return refuse(
      'CLIENT_TIMESTAMP_SKEW',
      'X-Timestamp 与平台时间相差超过 5 分钟，请校准时钟后重新签名',
      client,
    );
  }
  if (!/^[0-9a-fA-F]{64}$/.test(req.signature))
    return refuse('CLIENT_SIGNATURE_INVALID', 'X-Signature 应为 64 位十六进制 HMAC-SM3', client);
  const key = Buffer.from(ctx.vault.open('client.secret', client.secretHashEnc), 'hex');
  const expected = createHmac('sm3', key)
    .update(signingInput(req.timestamp, req.rawBody, req.target))
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(req.signature, 'hex'))) {
    return refuse(
      'CLIENT_SIGNATURE_INVALID',
      req.target === undefined
        ? '请求签名校验失败：应为 HMAC-SM3(密钥, X-Timestamp + "\\n" + 原始请求体) 的十六进制'
        : '请求签名校验失败：应为 HMAC-SM3(密钥, X-Timestamp + "\\n" + 请求方法 + " " + 请求路径（含查询串） + "\\n" + 原始请求体) 的十六进制',
      client,
    );
  }
  try {
    await ctx.db
      .insert(clientRequestNonces)
      .values({ clientId: client.id, signatureHash: sm3Hex(req.signature.toLowerCase()), seenAt: now });
  } catch (e) {
    if (isUniqueViolation(e))
      return refuse(
        'CLIENT_REQUEST_REPLAYED',
        '该签名的请求已处理过（重放），请使用新的时间戳重新签名',
        client,
      );
    throw e;
  }
  return client;
}

/** Maintenance: signatures older than twice the window cannot be replayed (their timestamp is refused). */
export async function purgeRequestNonces(db: ServiceContext['db'], now: Date): Promise<void> {
  await db
    .delete(clientRequestNonces)
    .where(lt(clientRequestNonces.seenAt, new Date(now.getTime() - 2 * CLOCK_SKEW_MS)));
}
