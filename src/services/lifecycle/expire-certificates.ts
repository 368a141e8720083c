import { and, asc, eq, inArray, lt, max, sql } from 'drizzle-orm';
import { todayInChina } from '../../domain/dates.ts';
import { intakeRecords, licences } from '../../store/schema.ts';
import type { Actor } from '../context.ts';
import { processRecord } from '../intake/process-record.ts';
import type { IntakeContext } from '../intake/types.ts';

/**
 * The daily expiry run (and `roadcert lifecycle expire`): every licence still in force whose
 * validTo lies before today (Beijing) takes the `expire` event through the same lifecycle table
 * and intake path as a pushed record, so history, audit and delivery are the same.
 */
export async function expireCertificates(
  ctx: IntakeContext,
  opts: { today?: string; batchSize?: number } = {},
) {
  const today = opts.today ?? todayInChina(ctx.clock.now());
  const actor: Actor = { type: 'system', id: 'lifecycle-expiry', regionCode: ctx.config.province.code };
  let expired = 0;
  let lastId = '';
  for (;;) {
    const due = await ctx.db
      .select({
        id: licences.sourceRecordId,
        version: licences.sourceVersion,
        kind: licences.kindCode,
        region: licences.regionCode,
      })
      .from(licences)
      .where(
        and(
          inArray(licences.state, ['valid', 'suspended', 'paper']),
          lt(licences.validTo, today),
          sql`${licences.sourceRecordId} > ${lastId}`,
        ),
      )
      .orderBy(asc(licences.sourceRecordId))
      .limit(opts.batchSize ?? 500);
    if (due.length === 0) break;
    for (const l of due) {
      // A platform-made event takes the next source version so later pushes still order after it.
      const [seen] = await ctx.db
        .select({ v: max(intakeRecords.sourceVersion) })
        .from(intakeRecords)
        .where(eq(intakeRecords.sourceRecordId, l.id));
      const result = await processRecord(
        ctx,
        { clientId: 'system:expiry', regionCode: ctx.config.province.code, actor },
        {
          sourceRecordId: l.id,
          sourceVersion: Math.max(l.version, seen?.v ?? 0) + 1,
          event: 'expire',
          kind: l.kind,
          regionCode: l.region,
          reason: `有效期至 ${today} 前届满，平台自动置为过期`,
        },
      );
      if (result.status === 'updated') expired++;
    }
    lastId = due[due.length - 1]!.id;
  }
  return { today, expired };
}
