import { asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../store/db.ts';
import { deliveries, outbox } from '../../store/schema.ts';

interface DeliveryPayload {
  holderId: string;
  identifier: string;
  regionCode: string;
  kind: string;
  title: string;
}

/**
 * Delivers what the outbox holds: each `delivery` entry becomes a message in the holder's inbox
 * (运证通). Rows are claimed with SKIP LOCKED, so several API nodes share the work, and the inbox
 * row is unique per outbox entry, so a crash between the two writes never duplicates a message.
 */
export async function processOutbox(db: Db, now: Date, opts: { limit?: number } = {}): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(outbox)
      .where(isNull(outbox.processedAt))
      .orderBy(asc(outbox.id))
      .limit(opts.limit ?? 200)
      .for('update', { skipLocked: true });
    for (const row of rows) {
      if (row.topic === 'delivery') {
        const p = row.payload as DeliveryPayload;
        await tx
          .insert(deliveries)
          .values({
            holderId: p.holderId,
            identifier: p.identifier,
            regionCode: p.regionCode,
            kind: p.kind,
            title: p.title,
            outboxId: row.id,
            createdAt: row.createdAt,
            deliveredAt: now,
          })
          .onConflictDoNothing();
      }
      await tx
        .update(outbox)
        .set({ processedAt: now, attempts: sql`${outbox.attempts} + 1` })
        .where(eq(outbox.id, row.id));
    }
    return rows.length;
  });
}
