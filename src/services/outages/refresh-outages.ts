import { and, eq, inArray, isNull, lt } from 'drizzle-orm';
import { outages } from '../../store/schema.ts';
import { appendAudit } from '../audit/append-audit.ts';
import type { ServiceContext } from '../context.ts';
import { countRepushedRecords, outageSystemActor } from './outage-records.ts';
import { nextOutageStatus } from './outage-status.ts';
import { type OutageView, toOutageView } from './outage-view.ts';

export interface OutageRefresh {
  /** Outages this run found past their deadline and marked `overdue`. */
  markedOverdue: OutageView[];
  /** Outages still awaiting re-push whose stored re-push count changed (recount runs only). */
  recounted: number;
}

/**
 * Marks every cleared outage whose re-push deadline has passed as `overdue`, each in
 * its own transaction with its `outage.overdue` audit record, by the platform itself. Safe to
 * run from several API nodes at once: the row is re-read under lock and skipped when another
 * run (or a completion) got there first.
 *
 * The list endpoint runs it before answering (only the cheap overdue marking); the daily job and
 * `roadcert outages refresh` also store the current re-push count of outages still awaiting
 * re-push (`recount`).
 */
export async function refreshOutages(
  ctx: ServiceContext,
  now: Date = ctx.clock.now(),
  opts: { recount?: boolean } = {},
): Promise<OutageRefresh> {
  const due = await ctx.db
    .select({ id: outages.id })
    .from(outages)
    .where(and(eq(outages.status, 'cleared'), isNull(outages.completedAt), lt(outages.deadline, now)))
    .orderBy(outages.deadline);

  const markedOverdue: OutageView[] = [];
  for (const { id } of due) {
    const view = await ctx.db.transaction(async (tx) => {
      const [row] = await tx.select().from(outages).where(eq(outages.id, id)).for('update');
      if (!row?.deadline || row.deadline.getTime() >= now.getTime()) return null;
      const status = nextOutageStatus(row, 'overdue');
      if (!status) return null;
      const repushedRecords = await countRepushedRecords(tx, row);
      const [updated] = await tx
        .update(outages)
        .set({ status, repushedRecords, updatedAt: now })
        .where(eq(outages.id, id))
        .returning();
      if (!updated) return null;
      await appendAudit(
        tx,
        outageSystemActor(ctx),
        {
          action: 'outage.overdue',
          regionCode: row.regionCode,
          targetType: 'outage',
          targetId: row.id,
          details: { deadline: row.deadline.toISOString(), repushedRecords },
        },
        { at: now, requestId: ctx.requestId },
      );
      return toOutageView(updated, repushedRecords, now);
    });
    if (view) markedOverdue.push(view);
  }

  let recounted = 0;
  if (opts.recount ?? true) {
    // The stored count is a snapshot of a value derived from intake_records (each of which is
    // audited where it was received), so refreshing it is not an audited state change.
    const awaiting = await ctx.db
      .select()
      .from(outages)
      .where(and(inArray(outages.status, ['cleared', 'overdue']), isNull(outages.completedAt)));
    for (const row of awaiting) {
      const n = await countRepushedRecords(ctx.db, row);
      if (n === row.repushedRecords) continue;
      await ctx.db.update(outages).set({ repushedRecords: n }).where(eq(outages.id, row.id));
      recounted++;
    }
  }
  return { markedOverdue, recounted };
}
