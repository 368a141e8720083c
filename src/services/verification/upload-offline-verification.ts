import { eq } from 'drizzle-orm';
import { AppError } from '../../errors.ts';
import { verifications } from '../../store/schema.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { Keyring } from '../keys/keyring.ts';
import { requirePermission } from '../scope.ts';
import { recordOutcome } from './record-outcome.ts';
import {
  type VerificationReason,
  type VerificationResult,
  verificationReasons,
  verifyCode,
} from './verify-code.ts';

/** How late an offline check may still be uploaded. */
export const OFFLINE_UPLOAD_WINDOW_SECONDS = 7 * 86_400;
/** Tolerated lead of the officer's clock over ours. */
const CLOCK_SKEW_SECONDS = 120;

export interface OfflineVerificationInput {
  /** Chosen by the page when it queued the check; makes a retried upload harmless. */
  id: string;
  code: string;
  checkedAt: Date;
  place?: string | undefined;
  outcome?: { recognized: boolean; reason?: string | undefined } | undefined;
}

export interface OfflineUploadResult extends VerificationResult {
  /** True when this id had been uploaded before; the stored result is returned. */
  duplicate: boolean;
  outcomeRecorded: boolean;
}

/**
 * An officer's 查验 made offline, uploaded later. The platform judges it again as of the
 * time it was made — signature, token expiry at that time, single use — against the
 * certificate's status now, and records it with that time; the officer's outcome, when given,
 * is recorded with it. The same id uploaded twice records once.
 */
export async function uploadOfflineVerification(
  ctx: ServiceContext,
  keyring: Keyring,
  actor: Actor,
  input: OfflineVerificationInput,
): Promise<OfflineUploadResult> {
  requirePermission(actor, 'certificates.verify');
  const now = ctx.clock.now().getTime();
  const at = input.checkedAt.getTime();
  if (!Number.isFinite(at) || at > now + CLOCK_SKEW_SECONDS * 1000) {
    throw new AppError('VALIDATION_FAILED', '离线查验时间晚于当前时间，请校准设备时钟', {
      details: { field: '/checkedAt' },
    });
  }
  if (at < now - OFFLINE_UPLOAD_WINDOW_SECONDS * 1000) {
    throw new AppError('VALIDATION_FAILED', '离线查验已超过 7 天补传期限，不再接收', {
      details: { field: '/checkedAt' },
    });
  }
  if (input.outcome && !input.outcome.recognized && !input.outcome.reason?.trim()) {
    throw new AppError('VALIDATION_FAILED', '未认可时须填写原因', { details: { field: '/outcome/reason' } });
  }

  const [seen] = await ctx.db.select().from(verifications).where(eq(verifications.id, input.id));
  if (seen) {
    // Someone else's id is not ours to reveal; ours is answered from the record.
    if (seen.officerId !== actor.id) throw new AppError('CONFLICT', '该离线查验编号已被使用');
    const reason = (seen.reason ?? undefined) as VerificationReason | undefined;
    return {
      verificationId: seen.id,
      result: seen.result as 'valid' | 'invalid',
      ...(reason ? { reason } : {}),
      message: reason ? verificationReasons[reason] : '电子证照有效',
      certificate: null,
      checkedAt: seen.at.toISOString(),
      duplicate: true,
      outcomeRecorded: seen.outcomeAt !== null,
    };
  }

  const result = await verifyCode(
    ctx,
    keyring,
    actor,
    { code: input.code, place: input.place },
    { id: input.id, checkedAt: input.checkedAt },
  );
  let outcomeRecorded = false;
  if (input.outcome) {
    await recordOutcome(ctx, actor, result.verificationId, input.outcome);
    outcomeRecorded = true;
  }
  return { ...result, duplicate: false, outcomeRecorded };
}
