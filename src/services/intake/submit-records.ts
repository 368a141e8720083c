import { todayInChina } from '../../domain/dates.ts';
import { validateRecord } from '../../domain/rules/index.ts';
import type { IntakeRecord } from '../../domain/rules/types.ts';
import { checkEnvelope } from './check-envelope.ts';
import { type ChunkEntry, issueChunk } from './issue-chunk.ts';
import { processRecord } from './process-record.ts';
import type { IntakeContext, IntakeResult, IntakeSource } from './types.ts';

const BULK_CHUNKS_IN_FLIGHT = 3;
/**
 * Records per bulk transaction. PostgreSQL's CPU per record falls by a fifth from 200 to 500 (each
 * chunk costs a dozen statements and a commit); a chunk that meets a known licence is redone one
 * record at a time, so much larger chunks would make that fallback dear.
 */
const BULK_CHUNK_SIZE = 500;

export interface SubmitOptions {
  concurrency?: number;
  onResult?: (index: number, result: IntakeResult) => void;
  /**
   * Bulk loads (import, initial aggregation): new, standard `issue` records are written a chunk
   * at a time (see issue-chunk.ts); everything else, and any chunk that cannot go that way, takes
   * the ordinary per-record path.
   */
  bulk?: boolean;
  chunkSize?: number;
}

/**
 * A batch of records, each decided on its own; one bad record never fails the others.
 * Records of one sourceRecordId run in batch order (a later version must not overtake an
 * earlier one); different licences run concurrently, so signing and database round trips of
 * several records overlap. Results come back in input order.
 */
export async function submitRecords(
  ctx: IntakeContext,
  source: IntakeSource,
  records: readonly unknown[],
  opts: SubmitOptions = {},
): Promise<IntakeResult[]> {
  const results: IntakeResult[] = new Array(records.length);
  const done = (i: number, r: IntakeResult) => {
    results[i] = r;
    opts.onResult?.(i, r);
  };
  const idOf = (r: unknown) => {
    const id =
      typeof r === 'object' && r !== null ? (r as { sourceRecordId?: unknown }).sourceRecordId : undefined;
    return typeof id === 'string' ? id : undefined;
  };

  let remaining = records.map((_, i) => i);
  if (opts.bulk)
    remaining = await bulkIssue(ctx, source, records, idOf, done, opts.chunkSize ?? BULK_CHUNK_SIZE);

  const lanes = new Map<string, number[]>();
  for (const i of remaining) {
    const id = idOf(records[i]);
    const key = id !== undefined ? `id:${id}` : `#${i}`;
    const lane = lanes.get(key);
    if (lane) lane.push(i);
    else lanes.set(key, [i]);
  }
  const queue = [...lanes.values()];
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  // A platform failure (database, signer) stops every lane: no record starts after the batch failed.
  let failed = false;
  const worker = async () => {
    for (let lane = queue.shift(); lane && !failed; lane = queue.shift()) {
      for (const i of lane) {
        if (failed) return;
        try {
          done(i, await processRecord(ctx, source, records[i]));
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return results;
}

/**
 * Writes what can go the bulk way; returns the indexes left for the per-record path.
 *
 * Records are classified lazily, a chunk's worth at a time, as each writer asks for its next
 * chunk: the first chunk is signing on the thread pool after its own checks, not after the
 * checks of the whole batch (the pool would sit idle meanwhile).
 */
async function bulkIssue(
  ctx: IntakeContext,
  source: IntakeSource,
  records: readonly unknown[],
  idOf: (r: unknown) => string | undefined,
  done: (i: number, r: IntakeResult) => void,
  chunkSize: number,
): Promise<number[]> {
  const counts = new Map<string, number>();
  for (const r of records) {
    const id = idOf(r);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const today = todayInChina(ctx.clock.now());
  const rest: number[] = [];
  let next = 0;
  /** The next chunk of new, standard `issue` records, each sourceRecordId once in the batch. */
  const nextChunk = (): { index: number; entry: ChunkEntry }[] => {
    const chunk: { index: number; entry: ChunkEntry }[] = [];
    for (; next < records.length && chunk.length < chunkSize; next++) {
      const index = next;
      const raw = records[index];
      const id = idOf(raw);
      const checked = checkEnvelope(raw, {
        catalog: ctx.catalog.content,
        sourceRegionCode: source.regionCode,
      });
      if (
        id === undefined ||
        counts.get(id) !== 1 ||
        !checked.ok ||
        checked.envelope.event !== 'issue' ||
        validateRecord(raw, { catalog: ctx.catalog.content, provinceCode: ctx.config.province.code, today })
          .length > 0
      ) {
        rest.push(index);
        continue;
      }
      chunk.push({ index, entry: { env: checked.envelope, record: raw as IntakeRecord } });
    }
    return chunk;
  };
  // Several chunks in flight: one signs on the native thread pool while another writes.
  const worker = async () => {
    for (let chunk = nextChunk(); chunk.length > 0; chunk = nextChunk()) {
      const current = chunk;
      const written = await issueChunk(
        ctx,
        source,
        current.map((c) => c.entry),
      );
      if (written) {
        written.forEach((r, k) => {
          done(current[k]!.index, r);
        });
      } else rest.push(...current.map((c) => c.index));
    }
  };
  await Promise.all(Array.from({ length: BULK_CHUNKS_IN_FLIGHT }, worker));
  return rest.sort((a, b) => a - b);
}
