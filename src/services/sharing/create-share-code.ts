import { randomUUID } from 'node:crypto';
import { and, count, eq, gt, isNull } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { isUniqueViolation } from '../../store/errors.ts';
import { certificates, shareCodes } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import { currentCatalog } from '../catalog/catalog-versions.ts';
import type { ServiceContext } from '../context.ts';
import type { HolderPrincipal } from '../wallet/holder-session.ts';
import { holderActor } from '../wallet/policy.ts';
import { newShareCode, shareCodeHash, sharingPolicy } from './policy.ts';
import { fieldLabels, type ShareField, shareableFields, validateGrantFields } from './shareable-fields.ts';

export interface ShareCodeView {
  /** Shown once; the platform keeps only a keyed SM3 of it. */
  code: string;
  identifier: string;
  fields: ShareField[];
  purpose: string | null;
  expiresAt: string;
}

/**
 * A one-time 用证码 for one of the holder's certificates: whoever the holder hands it to reads the
 * chosen fields once (all of the kind's fields when none are chosen), within `ttlMinutes` (≤ 30).
 */
export async function createShareCode(
  ctx: ServiceContext,
  holder: HolderPrincipal,
  identifier: string,
  input: { fields?: string[] | undefined; purpose?: string | undefined; ttlMinutes?: number | undefined },
): Promise<ShareCodeView> {
  const now = ctx.clock.now();
  const ttl = input.ttlMinutes ?? sharingPolicy.defaultCodeTtlMinutes;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 30) {
    throw new AppError('VALIDATION_FAILED', '用证码有效期应为 1–30 分钟');
  }
  const [row] = await ctx.db
    .select()
    .from(certificates)
    .where(and(eq(certificates.identifier, identifier), eq(certificates.holderId, holder.holderId)));
  if (!row) throw new AppError('NOT_FOUND', '电子证照不存在');
  const catalog = (await currentCatalog(ctx.db)).content;
  const fields = input.fields
    ? validateGrantFields(catalog, [row.kindCode], input.fields)
    : shareableFields(catalog, row.kindCode).map((f) => f.key);
  const purpose = input.purpose?.trim() || null;
  const [live] = await ctx.db
    .select({ n: count() })
    .from(shareCodes)
    .where(
      and(eq(shareCodes.holderId, holder.holderId), isNull(shareCodes.usedAt), gt(shareCodes.expiresAt, now)),
    );
  if ((live?.n ?? 0) >= sharingPolicy.maxLiveCodesPerHolder) {
    throw new AppError(
      'RATE_LIMITED',
      `未使用的用证码已有 ${sharingPolicy.maxLiveCodesPerHolder} 个，请待其使用或过期后再生成`,
    );
  }
  const expiresAt = new Date(now.getTime() + ttl * 60_000);
  const id = randomUUID();
  // A clash of two live codes is astronomically rare; the unique index turns it into a retry.
  for (let attempt = 0; ; attempt++) {
    const code = newShareCode();
    try {
      await ctx.db.transaction(async (tx) => {
        await tx.insert(shareCodes).values({
          id,
          codeHash: shareCodeHash(ctx, code),
          holderId: holder.holderId,
          serial: row.serial,
          identifier: row.identifier,
          regionCode: row.regionCode,
          kindCode: row.kindCode,
          fields,
          purpose,
          createdAt: now,
          expiresAt,
        });
        await appendAudit(
          tx,
          holderActor(ctx, holder.holderId),
          {
            action: 'share.code_create',
            regionCode: row.regionCode,
            targetType: 'certificate',
            targetId: row.identifier,
            details: { shareCodeId: id, fields, expiresAt: expiresAt.toISOString() },
          },
          { at: now, requestId: ctx.requestId },
        );
      });
      return {
        code,
        identifier: row.identifier,
        fields: fieldLabels(catalog, [row.kindCode], fields),
        purpose,
        expiresAt: expiresAt.toISOString(),
      };
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= 2) throw e;
    }
  }
}
