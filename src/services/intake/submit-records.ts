import { processRecord } from './process-record.ts';
import type { IntakeContext, IntakeResult, IntakeSource } from './types.ts';

/**
 * A batch of records, each in its own transaction; one bad record never fails the others.
 * Records of one sourceRecordId run in batch order (a later version must not overtake an
 * earlier one); different licences run concurrently, so signing and database round trips of
 * several records overlap. Results come back in input order.
 */
export async function submitRecords(
  ctx: IntakeContext,
  source: IntakeSource,
  records: readonly unknown[],
  opts: { concurrency?: number; onResult?: (index: number, result: IntakeResult) => void } = {},
): Promise<IntakeResult[]> {
  const results: IntakeResult[] = new Array(records.length);
  const lanes = new Map<string, number[]>();
  records.forEach((r, i) => {
    const id =
      typeof r === 'object' && r !== null ? (r as { sourceRecordId?: unknown }).sourceRecordId : undefined;
    const key = typeof id === 'string' ? `id:${id}` : `#${i}`;
    const lane = lanes.get(key);
    if (lane) lane.push(i);
    else lanes.set(key, [i]);
  });
  const queue = [...lanes.values()];
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  // A platform failure (database, signer) stops every lane: no record starts after the batch failed.
  let failed = false;
  const worker = async () => {
    for (let lane = queue.shift(); lane && !failed; lane = queue.shift()) {
      for (const i of lane) {
        if (failed) return;
        try {
          results[i] = await processRecord(ctx, source, records[i]);
        } catch (e) {
          failed = true;
          throw e;
        }
        opts.onResult?.(i, results[i]!);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return results;
}
