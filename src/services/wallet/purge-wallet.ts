import { lt } from 'drizzle-orm';
import type { Db } from '../../store/db.ts';
import {
  holderOtps,
  holderSessions,
  holderSignInGuards,
  shareCodes,
  showTokenNonces,
} from '../../store/schema.ts';

/**
 * Daily housekeeping: one-time codes, sign-in guards, holder sessions, spent 亮证 nonces and 用证码
 * that can no longer matter. A day of grace keeps recent rows for support questions; the audit trail keeps the facts.
 */
export async function purgeWalletRows(db: Db, now: Date): Promise<void> {
  const dayAgo = new Date(now.getTime() - 24 * 3_600_000);
  await db.delete(holderOtps).where(lt(holderOtps.expiresAt, dayAgo));
  await db.delete(holderSessions).where(lt(holderSessions.expiresAt, dayAgo));
  await db.delete(holderSignInGuards).where(lt(holderSignInGuards.updatedAt, dayAgo));
  // A spent 亮证 nonce only matters while its token could still verify (≤ 60 s).
  await db.delete(showTokenNonces).where(lt(showTokenNonces.expiresAt, dayAgo));
  // A 用证码 lives ≤ 30 min; once expired (used or not) it can never be read again. Who read what
  // stays in share_accesses and the audit trail, which do not depend on the code's row.
  await db.delete(shareCodes).where(lt(shareCodes.expiresAt, dayAgo));
}
