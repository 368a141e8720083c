import type { Db } from '../../store/db.ts';
import { usageEvents } from '../../store/schema.ts';

export const usageEventKinds = ['show', 'verify', 'share', 'download'] as const;
export type UsageEventKind = (typeof usageEventKinds)[number];

/** Records one use of a certificate (激活率 counts these); call inside the use case's transaction. */
export async function recordUsage(
  tx: Db,
  event: {
    identifier: string;
    regionCode: string;
    kindCode: string;
    event: UsageEventKind;
    at: Date;
    /** The row with the details the holder's usage log shows: a verification or share access id. */
    refId?: string;
  },
): Promise<void> {
  await tx.insert(usageEvents).values(event);
}
